//! numpy instances: `.npy` files of ξ and σ and `.npz` archives, built here byte by byte from the NPY
//! format (magic, version, header length, a Python dict literal padded with spaces, the elements) so that
//! no Python is needed; every dtype and order read, the round trip numpy → densemc → numpy, and every bad
//! array refused with one line and exit 2.

mod common;

use common::TempDir;
use densemc::instance::{read_npy, read_npz, Format, Instance};
use densemc::model::{self, Activation, Arch};
use densemc::weights::Weights;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_densemc");

/// An NPY file: version 1.0, the header dict as numpy writes it, padded to a multiple of 64 bytes.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    let mut h = dict.into_bytes();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    out
}

/// The ±1 values of an instance: ξ as rows (P × inputs) and σ.
fn values(inst: &Instance) -> (Vec<Vec<i8>>, Vec<i8>) {
    let xi = (0..inst.p())
        .map(|mu| (0..inst.inputs()).map(|j| inst.xi(j, mu)).collect())
        .collect();
    (xi, (0..inst.p()).map(|mu| inst.sigma(mu)).collect())
}

/// Each ±1 value as one element of `descr` (little- or big-endian per its first character).
fn encode(descr: &str, v: &[i8]) -> Vec<u8> {
    let big = descr.starts_with('>');
    let mut out = Vec::new();
    for &x in v {
        let mut b: Vec<u8> = match &descr[1..] {
            "b1" => vec![(x > 0) as u8],
            "i1" => vec![x as u8],
            "i2" => (x as i16).to_le_bytes().to_vec(),
            "i4" => (x as i32).to_le_bytes().to_vec(),
            "i8" => (x as i64).to_le_bytes().to_vec(),
            "f4" => (x as f32).to_le_bytes().to_vec(),
            "f8" => (x as f64).to_le_bytes().to_vec(),
            d => panic!("no encoder for {d}"),
        };
        if big {
            b.reverse();
        }
        out.extend(b);
    }
    out
}

fn xi_file(descr: &str, fortran: bool, xi: &[Vec<i8>]) -> Vec<u8> {
    let (p, n) = (xi.len(), xi[0].len());
    let flat: Vec<i8> = if fortran {
        (0..n).flat_map(|j| xi.iter().map(move |r| r[j])).collect()
    } else {
        xi.concat()
    };
    npy(
        descr,
        fortran,
        &format!("({p}, {n})"),
        &encode(descr, &flat),
    )
}

fn sigma_file(descr: &str, s: &[i8]) -> Vec<u8> {
    npy(descr, false, &format!("({},)", s.len()), &encode(descr, s))
}

fn sample(arch: Arch, alpha: f64, teacher: bool) -> Instance {
    model::generate(arch, alpha, 7, teacher).unwrap().0
}

fn same_problem(a: &Instance, b: &Instance) {
    assert_eq!(a.arch(), b.arch());
    assert_eq!(a.p(), b.p());
    assert_eq!(a.cols(), b.cols());
    assert_eq!(a.labels(), b.labels());
    assert_eq!(a.checksum(), b.checksum());
}

#[test]
fn every_dtype_byte_order_and_memory_order_reads_the_same_instance() {
    let d = TempDir::new("npy-dtypes");
    // P = 70 crosses a word boundary; N = 101 odd.
    let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
    let want = sample(arch, 0.7, false);
    let (xi, sigma) = values(&want);
    for descr in [
        "|b1", "|i1", "<i2", "<i4", "<i8", "<f4", "<f8", ">i2", ">i4", ">i8", ">f4", ">f8",
    ] {
        for fortran in [false, true] {
            let (x, s) = (d.path("xi.npy"), d.path("sigma.npy"));
            std::fs::write(&x, xi_file(descr, fortran, &xi)).unwrap();
            std::fs::write(&s, sigma_file(descr, &sigma)).unwrap();
            let got = read_npy(&x, &s, 1, Activation::Perceptron)
                .unwrap_or_else(|e| panic!("{descr} fortran={fortran}: {e}"));
            same_problem(&got, &want);
            assert!(got.teacher().is_none());
        }
    }
}

#[test]
fn committees_take_the_architecture_from_the_flags() {
    let d = TempDir::new("npy-arch");
    for (arch, fc) in [
        (Arch::new(999, 3, Activation::Sign).unwrap(), false),
        (Arch::new(1000, 4, Activation::Relu).unwrap(), false),
        (Arch::new(3 * 67, 3, Activation::FcSign).unwrap(), true),
    ] {
        let want = sample(arch, 0.3, true);
        let (xi, sigma) = values(&want);
        // The fully connected committee: ξ has n = N/K columns.
        assert_eq!(xi[0].len(), if fc { 67 } else { arch.n });
        let (x, s) = (d.path("xi.npy"), d.path("sigma.npy"));
        std::fs::write(&x, xi_file("|i1", false, &xi)).unwrap();
        std::fs::write(&s, sigma_file("|i1", &sigma)).unwrap();
        let got = read_npy(&x, &s, arch.k, arch.activation).unwrap();
        same_problem(&got, &want);
    }
    // The wrong architecture for the shape is refused by the usual size rules.
    let arch = Arch::new(101, 1, Activation::Perceptron).unwrap();
    let (xi, sigma) = values(&sample(arch, 0.3, false));
    let (x, s) = (d.path("xi.npy"), d.path("sigma.npy"));
    std::fs::write(&x, xi_file("|i1", false, &xi)).unwrap();
    std::fs::write(&s, sigma_file("|i1", &sigma)).unwrap();
    let e = read_npy(&x, &s, 3, Activation::Sign)
        .unwrap_err()
        .to_string();
    assert!(e.contains("xi.npy") && e.contains("N/K odd"), "{e}");
}

/// The members of a zip archive, by name, decompressed.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut m = z.by_index(i).unwrap();
            let mut b = Vec::new();
            m.read_to_end(&mut b).unwrap();
            (m.name().unwrap().to_string(), b)
        })
        .collect()
}

fn zip_of(path: &Path, files: &[(&str, Vec<u8>)], method: zip::CompressionMethod) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in files {
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn round_trip_numpy_to_densemc_to_numpy_is_lossless() {
    let d = TempDir::new("npy-round");
    let arch = Arch::new(999, 3, Activation::Sign).unwrap();
    let src = sample(arch, 0.41, true);
    let (xi, sigma) = values(&src);
    let t = src.teacher().unwrap().clone();
    let tv: Vec<i8> = (0..t.len()).map(|i| t.get(i)).collect();
    // numpy's np.savez of int8 arrays, as bytes; once stored and once deflated (np.savez_compressed).
    let files = [
        ("xi.npy", xi_file("|i1", false, &xi)),
        ("sigma.npy", sigma_file("|i1", &sigma)),
        ("teacher.npy", sigma_file("|i1", &tv)),
    ];
    for method in [
        zip::CompressionMethod::Stored,
        zip::CompressionMethod::Deflated,
    ] {
        let (a, b) = (d.path("in.npz"), d.path("out.npz"));
        zip_of(&a, &files, method);
        let inst = read_npz(&a, 3, Activation::Sign).unwrap();
        same_problem(&inst, &src);
        assert_eq!(inst.teacher(), Some(&t));
        inst.write(&b, Format::Npz).unwrap();
        // What densemc writes is what numpy wrote: the same arrays, element for element, with headers
        // that follow the format (data aligned to 64 bytes, int8, C order).
        let out = members(&b);
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["xi.npy", "sigma.npy", "teacher.npy"]);
        for ((_, got), (_, want)) in out.iter().zip(&files) {
            let hl = u16::from_le_bytes([got[8], got[9]]) as usize;
            assert_eq!(&got[..8], b"\x93NUMPY\x01\x00");
            assert_eq!((10 + hl) % 64, 0);
            assert_eq!(got[10 + hl - 1], b'\n');
            let header = std::str::from_utf8(&got[10..10 + hl]).unwrap();
            assert!(header.contains("'descr': '|i1'") && header.contains("'fortran_order': False"));
            let whl = u16::from_le_bytes([want[8], want[9]]) as usize;
            assert_eq!(
                header.trim_end(),
                std::str::from_utf8(&want[10..10 + whl]).unwrap().trim_end()
            );
            assert_eq!(&got[10 + hl..], &want[10 + whl..], "the elements differ");
        }
    }
}

#[test]
fn densemc_files_round_trip_through_npz() {
    let d = TempDir::new("npy-dmc");
    for teacher in [false, true] {
        let arch = Arch::new(1000, 4, Activation::Relu).unwrap();
        let src = sample(arch, 0.6, teacher);
        let p = d.path("a.npz");
        src.write(&p, Format::Npz).unwrap();
        let back = read_npz(&p, 4, Activation::Relu).unwrap();
        same_problem(&back, &src);
        assert_eq!(back.teacher(), src.teacher());
        assert_eq!(members(&p).len(), 2 + teacher as usize);
    }
}

#[test]
fn a_numpy_file_given_to_the_plain_reader_is_refused_clearly() {
    let d = TempDir::new("npy-plain");
    let p = d.path("a.npz");
    sample(
        Arch::new(101, 1, Activation::Perceptron).unwrap(),
        0.5,
        false,
    )
    .write(&p, Format::Npz)
    .unwrap();
    let e = Instance::read(&p).unwrap_err().to_string();
    assert!(e.contains("numpy") && e.contains("--labels"), "{e}");
}

fn densemc(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// A command that must fail with exit 2 and one line on stderr that contains `want`.
fn refused(args: &[&str], want: &str) {
    let o = densemc(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("densemc: error"))
        .collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        lines[0].contains(want),
        "{args:?}: expected {want:?} in {err}"
    );
}

#[test]
fn solve_and_info_read_npy_and_npz_and_agree_with_the_text_instance() {
    let d = TempDir::new("npy-cli");
    let txt = d.path("a.txt");
    let o = densemc(&[
        "generate",
        "--n",
        "101",
        "--alpha",
        "0.5",
        "--teacher",
        "--seed",
        "3",
        "--out",
        txt.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let inst = Instance::read(&txt).unwrap();
    let (xi, sigma) = values(&inst);
    let (x, s, z) = (d.path("xi.npy"), d.path("sigma.npy"), d.path("a.npz"));
    std::fs::write(&x, xi_file("|b1", false, &xi)).unwrap();
    std::fs::write(&s, sigma_file("<f8", &sigma)).unwrap();
    let o = densemc(&[
        "generate",
        "--n",
        "101",
        "--alpha",
        "0.5",
        "--teacher",
        "--seed",
        "3",
        "--format",
        "npz",
        "--out",
        z.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let sum = format!("{:016x}", inst.checksum());
    for args in [
        vec![
            "--instance",
            x.to_str().unwrap(),
            "--labels",
            s.to_str().unwrap(),
        ],
        vec!["--instance", z.to_str().unwrap()],
    ] {
        let o = densemc(&[&["info"], args.as_slice()].concat());
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && out.contains(&sum), "{out}");
        let r = d.path("r.json");
        let o = densemc(
            &[
                &[
                    "solve",
                    "--quiet",
                    "--max-sweeps",
                    "3000",
                    "--out",
                    r.to_str().unwrap(),
                ],
                args.as_slice(),
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
        assert_eq!(v["instance"]["checksum"], sum.as_str());
        assert_eq!(v["solved"], true);
        let w = Weights::parse_pm(v["weights"].as_str().unwrap(), 101, "w").unwrap();
        assert_eq!(densemc::solve::recount(&inst, &w), 0);
        std::fs::remove_file(&r).unwrap();
    }
}

#[test]
fn bad_arrays_are_refused_with_one_line_and_exit_2() {
    let d = TempDir::new("npy-bad");
    let arch = Arch::new(11, 1, Activation::Perceptron).unwrap();
    let (xi, sigma) = values(&sample(arch, 0.5, false));
    let (x, s) = (d.path("xi.npy"), d.path("sigma.npy"));
    let good_xi = xi_file("|i1", false, &xi);
    let good_s = sigma_file("|i1", &sigma);
    std::fs::write(&s, &good_s).unwrap();
    let xs = x.to_str().unwrap().to_string();
    let ss = s.to_str().unwrap().to_string();
    let info = |xi: &[u8], sig: &[u8], want: &str| {
        std::fs::write(&x, xi).unwrap();
        std::fs::write(&s, sig).unwrap();
        refused(&["info", "--instance", &xs, "--labels", &ss], want);
    };
    let with_value = |at: usize, v: u8, want: &str| {
        let mut b = good_xi.clone();
        let off = b.len() - 11 * 6 + at;
        b[off] = v;
        info(&b, &good_s, want);
    };
    with_value(0, 0, "element [0, 0] is 0, not ±1");
    with_value(13, 2, "element [1, 2] is 2, not ±1");
    let p = xi.len();
    let flat: Vec<i8> = xi.concat();
    info(
        &npy("<u1", false, &format!("({p}, 11)"), &encode("|i1", &flat)),
        &good_s,
        "dtype \"<u1\" is not supported",
    );
    info(
        &npy("<c8", false, &format!("({p}, 11)"), &encode("<i8", &flat)),
        &good_s,
        "dtype \"<c8\" is not supported",
    );
    info(
        &npy(
            "|i1",
            false,
            &format!("({p}, 11, 1)"),
            &encode("|i1", &flat),
        ),
        &good_s,
        "is not 2-D",
    );
    info(
        &npy(
            "|i1",
            false,
            &format!("({},)", p * 11),
            &encode("|i1", &flat),
        ),
        &good_s,
        "is not 2-D",
    );
    info(&good_xi[..good_xi.len() - 3], &good_s, "truncated");
    info(&[&good_xi[..], &[1u8]].concat(), &good_s, "too long");
    info(&good_xi[..20], &good_s, "truncated");
    info(b"PLAIN TEXT NOT NPY", &good_s, "");
    let mut nan = npy("<f8", false, &format!("({p}, 11)"), &encode("<f8", &flat));
    let at = nan.len() - 8;
    nan[at..].copy_from_slice(&f64::NAN.to_le_bytes());
    info(&nan, &good_s, "NaN, not ±1");
    let mut b = npy("|b1", false, &format!("({p}, 11)"), &encode("|b1", &flat));
    *b.last_mut().unwrap() = 2;
    info(&b, &good_s, "a bool is 0 or 1");
    info(
        &npy(
            "[('a', '<i1')]",
            false,
            &format!("({p}, 11)"),
            &flat.iter().map(|&v| v as u8).collect::<Vec<_>>(),
        ),
        &good_s,
        "",
    );
    let mut v = good_xi.clone();
    v[6] = 9;
    info(&v, &good_s, "NPY format version 9.0 is not supported");
    // σ: wrong length, wrong rank, a bad value.
    info(&good_xi, &sigma_file("|i1", &sigma[1..]), "must have shape");
    info(
        &good_xi,
        &npy("|i1", false, &format!("({p}, 1)"), &encode("|i1", &sigma)),
        "must have shape",
    );
    let mut bs = good_s.clone();
    *bs.last_mut().unwrap() = 3;
    info(&good_xi, &bs, "is 3, not ±1");
    // P = 0 patterns.
    info(
        &npy("|i1", false, "(0, 11)", &[]),
        &npy("|i1", false, "(0,)", &[]),
        "P=0",
    );
    // A .npy without --labels, --labels with a text instance.
    std::fs::write(&x, &good_xi).unwrap();
    std::fs::write(&s, &good_s).unwrap();
    refused(&["info", "--instance", &xs], "--labels");
    refused(&["solve", "--instance", &xs, "--quiet"], "--labels");
    let t = d.path("a.txt");
    sample(arch, 0.5, false).write(&t, Format::Text).unwrap();
    refused(
        &["info", "--instance", t.to_str().unwrap(), "--labels", &ss],
        "--labels is for a .npy",
    );
    // .npz: a missing array, a teacher that does not label the patterns, a member that is not an array.
    let z = d.path("a.npz");
    let zs = z.to_str().unwrap().to_string();
    zip_of(
        &z,
        &[("xi.npy", good_xi.clone())],
        zip::CompressionMethod::Stored,
    );
    refused(&["info", "--instance", &zs], "needs the arrays xi");
    // All +1 or all −1 weights: whichever mislabels some pattern (both cannot be solutions).
    let inst = read_npy(&x, &s, 1, Activation::Perceptron).unwrap();
    let plus = Weights::from_signs(&[1; 11]);
    let wrong: Vec<i8> = vec![
        if densemc::solve::recount(&inst, &plus) > 0 {
            1
        } else {
            -1
        };
        11
    ];
    assert!(densemc::solve::recount(&inst, &Weights::from_signs(&wrong)) > 0);
    zip_of(
        &z,
        &[
            ("xi.npy", good_xi.clone()),
            ("sigma.npy", good_s.clone()),
            ("teacher.npy", sigma_file("|i1", &wrong)),
        ],
        zip::CompressionMethod::Deflated,
    );
    refused(
        &["info", "--instance", &zs],
        "teacher: it does not give pattern",
    );
    zip_of(
        &z,
        &[
            ("xi.npy", good_xi.clone()),
            ("sigma.npy", good_s.clone()),
            ("teacher.npy", sigma_file("|i1", &wrong[1..])),
        ],
        zip::CompressionMethod::Stored,
    );
    refused(&["info", "--instance", &zs], "must have shape (11,)");
    zip_of(
        &z,
        &[("xi.npy", b"junk".to_vec()), ("sigma.npy", good_s.clone())],
        zip::CompressionMethod::Stored,
    );
    refused(&["info", "--instance", &zs], "array xi");
    // A torn archive.
    zip_of(
        &z,
        &[("xi.npy", good_xi.clone()), ("sigma.npy", good_s)],
        zip::CompressionMethod::Stored,
    );
    let bytes = std::fs::read(&z).unwrap();
    std::fs::write(&z, &bytes[..bytes.len() - 30]).unwrap();
    refused(&["info", "--instance", &zs], "");
}
