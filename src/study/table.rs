//! The CSV tables of the study commands: written with the `csv` crate (a field holding a comma, a quote or
//! a line break is quoted), numbers in one form ([`num`], [`decimal`]).

/// A float as its shortest round-trip decimal (`0.65`, `1234.5`), in scientific notation when it is tiny
/// or huge (`-1.1368683772161603e-13`, not `-0.00000000000011368683772161603`); empty when not finite.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A grid coordinate (α, p, γ, d) rounded to 12 significant digits before [`num`], so that a value made by
/// arithmetic prints as its decimal (`0.65`, not `0.6499999999999999`).
pub fn decimal(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return num(x);
    }
    num(format!("{x:.11e}").parse().unwrap_or(x))
}

/// A CSV table being written: a header, then rows of fields.
pub struct Csv(csv::Writer<Vec<u8>>);

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut w = Csv(csv::WriterBuilder::new().from_writer(Vec::new()));
        w.row(header);
        w
    }

    /// One row (a record of another length than the header is a bug of the caller).
    pub fn row<S: AsRef<[u8]>>(&mut self, fields: impl IntoIterator<Item = S>) {
        self.0
            .write_record(fields)
            .expect("a CSV row of the header's length, written to memory");
    }

    /// The table's text.
    pub fn finish(self) -> String {
        let bytes = self
            .0
            .into_inner()
            .expect("a CSV table written to memory flushes");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_short() {
        assert_eq!(num(0.65), "0.65");
        assert_eq!(num(-1.1368683772161603e-13), "-1.1368683772161603e-13");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(20000.0), "20000");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(decimal(0.6499999999999999), "0.65");
        assert_eq!(decimal(0.5 + 6.0 * 0.02), "0.62");
        assert_eq!(decimal(1e-7), "1e-7");
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        let mut c = Csv::new(&["label", "x"]);
        c.row(["SA, T=0", "1"]);
        c.row(["say \"hi\"", "2"]);
        assert_eq!(c.finish(), "label,x\n\"SA, T=0\",1\n\"say \"\"hi\"\"\",2\n");
    }
}
