//! The sweep results readers on arbitrary bytes: `study::merge::parse_results` (used by `merge` and by
//! `sweep --shard` on resume) and `study::analyze::read_records` (used by `analyze`) must return a clean
//! error or the records, never panic, and agree with each other. What they accept then goes through `merge`
//! (the file given twice), which must not panic either and must account for every task of its grid (on
//! grids of up to a few thousand tasks, to keep the runs fast).

#![no_main]

use densemc::study::analyze::read_records;
use densemc::study::merge::{merge, parse_results, MAX_GRID_TASKS};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        std::env::temp_dir().join(format!("densemc-fuzz-results-{}.jsonl", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let p = path();
    let parsed = parse_results(data, p);
    if let Err(e) = &parsed {
        assert!(!e.to_string().contains('\n'));
    }
    // analyze's reader on the same bytes, through a file.
    std::fs::write(p, data).expect("cannot write the fuzz input file");
    let analyzed = read_records(std::slice::from_ref(p));
    match (&parsed, &analyzed) {
        (Ok(r), Ok((records, _))) => {
            let mine: Vec<_> = r.lines.iter().map(|l| &l.record).collect();
            let theirs: Vec<_> = records.iter().collect();
            assert_eq!(mine, theirs, "the readers disagree");
        }
        (Ok(r), Err(_)) => assert!(
            // analyze refuses a file without any result, and (reading it as one UTF-8 string) a file whose
            // torn last line was cut inside a UTF-8 character.
            r.lines.is_empty() || (r.torn && std::str::from_utf8(data).is_err()),
            "analyze refuses what merge reads: {analyzed:?}"
        ),
        (Err(_), Ok(_)) => panic!("merge refuses what analyze reads: {parsed:?}"),
        (Err(_), Err(_)) => {}
    }
    let Ok(r) = parsed else { return };
    if r.lines.is_empty() {
        return;
    }
    // Keep the runs fast: merge walks its whole grid (up to MAX_GRID_TASKS), so fuzz it on small ones.
    let small = r.lines.iter().all(|l| {
        let r = &l.record;
        match &r.shard {
            Some(t) => t.grid.ns.len() * t.grid.alphas.len() * t.grid.samples.min(1 << 20) <= 4096,
            None => r.alpha_index < 64 && r.sample < 64,
        }
    });
    if !small {
        return;
    }
    let n = r.lines.len();
    let parts = vec![(p.clone(), r.clone()), (PathBuf::from("copy.jsonl"), r)];
    match merge(&parts) {
        Ok(m) => {
            assert!(m.expected() <= MAX_GRID_TASKS);
            assert_eq!(m.lines.len() + m.missing, m.expected());
            assert_eq!(m.lines.len() + m.duplicates, 2 * n);
            let s = m.missing_summary();
            assert!(!s.contains('\n'));
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
