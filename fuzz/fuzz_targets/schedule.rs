//! `Schedule::parse` on arbitrary text (the bytes, read as UTF-8 with invalid sequences replaced): it must
//! return a one-line error or a schedule, never panic. An accepted schedule starts at sweep 0, its sweeps
//! increase, its β and γ are finite and non-negative, and `at(t)` returns the row in force at any sweep t.

#![no_main]

use densemc::mc::Schedule;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("fuzz-schedule.txt");
    match Schedule::parse(&text, path) {
        Err(e) => {
            let m = e.to_string();
            assert!(!m.contains('\n'), "a multi-line error: {m:?}");
            assert!(
                m.starts_with("fuzz-schedule.txt:"),
                "an error without the file name: {m:?}"
            );
        }
        Ok(s) => {
            let Schedule::Table { steps, .. } = &s else {
                panic!("parse gave a ramp: {s:?}");
            };
            assert!(!steps.is_empty());
            assert_eq!(steps[0].0, 0);
            assert!(steps.windows(2).all(|w| w[0].0 < w[1].0), "{steps:?}");
            for &(t, b, g) in steps {
                assert!(b.is_finite() && b >= 0.0 && g.is_finite() && g >= 0.0);
                // At a row's own sweep, one before and one after: the row in force by a linear search.
                for q in [t.saturating_sub(1), t, t.saturating_add(1), u64::MAX] {
                    let want = steps.iter().rev().find(|s| s.0 <= q).unwrap();
                    assert_eq!(s.at(q), (want.1, want.2), "at({q}) in {steps:?}");
                }
            }
            // The record form (`config.schedule` in result files) serialises and reads back.
            let json = serde_json::to_string(&s).expect("a schedule serialises");
            let back: Schedule = serde_json::from_str(&json).expect("a schedule reads back");
            let Schedule::Table { steps: b, .. } = back else {
                panic!("read back as a ramp");
            };
            assert_eq!(b.len(), steps.len());
            assert!(b.iter().zip(steps).all(|(x, y)| x.0 == y.0));
        }
    }
});
