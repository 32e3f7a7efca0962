//! The Harley–Seal carry-save step of the vertical counts, written once for every vector type.

/// A vector of one-bit lanes on which a full adder works lane by lane.
pub(crate) trait CarrySave: Copy {
    /// (majority, parity) of a, b, c: the carry and sum bits of a + b + c.
    fn csa(a: Self, b: Self, c: Self) -> (Self, Self);
}

impl CarrySave for super::Stripe {
    #[inline(always)]
    fn csa(a: Self, b: Self, c: Self) -> (Self, Self) {
        let mut h = [0; super::STRIPE];
        let mut l = [0; super::STRIPE];
        for j in 0..super::STRIPE {
            let u = a[j] ^ b[j];
            h[j] = (a[j] & b[j]) | (u & c[j]);
            l[j] = u ^ c[j];
        }
        (h, l)
    }
}

/// One Harley–Seal step: adds the 16 inputs `d(0)`, …, `d(15)` to the counter `low` = (ones, twos,
/// fours, eights) and returns the carry of weight 16, for the caller to ripple into its higher planes.
#[inline(always)]
pub(crate) fn step16<V: CarrySave>(d: impl Fn(usize) -> V, low: &mut [V; 4]) -> V {
    let csa = V::csa;
    let [ones, twos, fours, eights] = *low;
    let (twos_a, o) = csa(ones, d(0), d(1));
    let (twos_b, o) = csa(o, d(2), d(3));
    let (fours_a, t) = csa(twos, twos_a, twos_b);
    let (twos_a, o) = csa(o, d(4), d(5));
    let (twos_b, o) = csa(o, d(6), d(7));
    let (fours_b, t) = csa(t, twos_a, twos_b);
    let (eights_a, f) = csa(fours, fours_a, fours_b);
    let (twos_a, o) = csa(o, d(8), d(9));
    let (twos_b, o) = csa(o, d(10), d(11));
    let (fours_a, t) = csa(t, twos_a, twos_b);
    let (twos_a, o) = csa(o, d(12), d(13));
    let (twos_b, o) = csa(o, d(14), d(15));
    let (fours_b, t) = csa(t, twos_a, twos_b);
    let (eights_b, f) = csa(f, fours_a, fours_b);
    let (sixteens, e) = csa(eights, eights_a, eights_b);
    *low = [o, t, f, e];
    sixteens
}
