//! The data sets: the bundled digits against counts computed independently (Python's gzip and
//! csv modules), the split, standardisation, epoch orders, and malformed CSV and IDX files.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use descent_nn::Error;
use descent_nn::data::{CsvLayout, Dataset, Standardizer, epoch_order, fill_epoch_order};
use flate2::Compression;
use flate2::write::GzEncoder;

/// Class counts of `digits.csv.gz`, computed with Python's `gzip` + `csv` +
/// `collections.Counter` (not with this crate).
const DIGITS_CLASS_COUNTS: [usize; 10] = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
/// Pixels that are 0 in every digit (Python: columns with one distinct value).
const DIGITS_CONSTANT_FEATURES: [usize; 3] = [0, 32, 39];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn digits_loads_1797_rows_with_the_known_class_counts() {
    let d = Dataset::digits();
    assert_eq!(d.len(), 1797);
    assert_eq!((d.dim(), d.shape(), d.classes()), (64, &[8usize, 8][..], 10));
    assert_eq!(d.class_counts(), DIGITS_CLASS_COUNTS);
    assert_eq!(d.features().len(), 1797 * 64);
    assert!(d.features().iter().all(|&x| (0.0..=16.0).contains(&x) && x.fract() == 0.0));
    assert_eq!(d.features().iter().copied().fold(0.0f32, f32::max), 16.0);
    // First row (Python): 0,0,5,13,9,1,0,0,0,0,... summing to 294, label 0.
    assert_eq!(&d.row(0)[..6], &[0.0, 0.0, 5.0, 13.0, 9.0, 1.0]);
    assert_eq!(d.row(0).iter().sum::<f32>(), 294.0);
    assert_eq!(d.labels()[0], 0);
    assert_eq!(d.features_f64()[3], 13.0);
}

/// Unequal class sizes: i² + 3i mod `classes`.
fn label_of(i: usize, classes: usize) -> u8 {
    ((i * i + 3 * i) % classes) as u8
}

/// A data set whose single feature is the example's index, so a split can be checked exactly.
fn indexed(n: usize, classes: usize) -> Dataset {
    let features = (0..n).map(|i| i as f32).collect();
    let labels = (0..n).map(|i| label_of(i, classes)).collect();
    Dataset::new(features, labels, classes, vec![1]).unwrap()
}

#[test]
fn split_is_stratified_disjoint_and_reproducible() {
    let d = Dataset::digits();
    let (train, test) = d.split(0.2, 0).unwrap();
    for c in 0..10 {
        let n = DIGITS_CLASS_COUNTS[c];
        let n_test = (0.2 * n as f64).round() as usize;
        assert_eq!(test.class_counts()[c], n_test, "class {c}");
        assert_eq!(train.class_counts()[c], n - n_test, "class {c}");
    }
    assert_eq!(d.split(0.2, 0).unwrap(), (train.clone(), test.clone()));
    let (train1, _) = d.split(0.2, 1).unwrap();
    assert_ne!(train1, train, "another seed gives another split");

    let d = indexed(1000, 7);
    let (train, test) = d.split(0.3, 42).unwrap();
    let mut all: Vec<f32> = train.features().iter().chain(test.features()).copied().collect();
    assert!(train.features().windows(2).all(|w| w[0] < w[1]), "original order kept");
    all.sort_by(f32::total_cmp);
    assert_eq!(all, (0..1000).map(|i| i as f32).collect::<Vec<_>>(), "a partition of the examples");
    for set in [&train, &test] {
        for i in 0..set.len() {
            assert_eq!(
                set.labels()[i],
                label_of(set.row(i)[0] as usize, 7),
                "labels travel with rows"
            );
        }
    }
    let counts = d.class_counts();
    assert!(counts.iter().min() < counts.iter().max(), "unequal classes: {counts:?}");
    for c in 0..7 {
        assert_eq!(test.class_counts()[c], (0.3 * counts[c] as f64).round() as usize, "class {c}");
    }
    for bad in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(matches!(
            d.split(bad, 0),
            Err(Error::InvalidHyperparameter { name: "test_fraction", .. })
        ));
    }
}

#[test]
fn standardisation_gives_mean_0_and_std_1_on_train() {
    let (mut train, mut test) = Dataset::digits().split(0.2, 0).unwrap();
    let original_test = test.clone();
    let s = Standardizer::fit(&train);
    s.apply(&mut train).unwrap();
    s.apply(&mut test).unwrap();
    let n = train.len() as f64;
    for j in 0..64 {
        let col: Vec<f64> = (0..train.len()).map(|i| f64::from(train.row(i)[j])).collect();
        let mean = col.iter().sum::<f64>() / n;
        let std = (col.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        if s.scale[j] == 1.0 {
            // Constant on the training set: shifted to 0, not divided by 0.
            assert!(col.iter().all(|&x| x == 0.0), "feature {j}");
            continue;
        }
        assert!(mean.abs() < 1e-6, "feature {j}: mean {mean}");
        assert!((std - 1.0).abs() < 1e-5, "feature {j}: std {std}");
    }
    for j in DIGITS_CONSTANT_FEATURES {
        assert_eq!((s.mean[j], s.scale[j]), (0.0, 1.0), "constant feature {j}");
    }
    // The test set is transformed with the training statistics.
    let (i, j) = (5, 20);
    let expected = (f64::from(original_test.row(i)[j]) - s.mean[j]) / s.scale[j];
    assert!((f64::from(test.row(i)[j]) - expected).abs() < 1e-6);
    let mut other = indexed(10, 2);
    assert!(matches!(
        s.apply(&mut other),
        Err(Error::DimensionMismatch { expected: 64, got: 1, .. })
    ));
}

#[test]
fn epoch_orders_are_seeded_permutations_recreated_on_resume() {
    let n = 1000;
    let run: Vec<Vec<usize>> = (0..5).map(|e| epoch_order(n, 7, e)).collect();
    for order in &run {
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>());
    }
    assert_ne!(run[0], run[1]);
    assert_ne!(run[0], (0..n).collect::<Vec<_>>());
    assert_ne!(epoch_order(n, 8, 0), run[0]);
    // A run resumed at epoch 3 recreates epoch 3's order from (seed, epoch) alone, into a
    // dirty buffer.
    let mut buf = vec![usize::MAX; n];
    fill_epoch_order(&mut buf, 7, 3);
    assert_eq!(buf, run[3]);
}

#[test]
fn gather_copies_a_minibatch_without_allocating_in_f32_and_f64() {
    let d = Dataset::digits();
    let mut x = vec![0.0f64; 2 * 64];
    let mut y = vec![0usize; 2];
    d.gather(&[0, 5], &mut x, &mut y).unwrap();
    assert_eq!(&x[..64], &d.features_f64()[..64]);
    assert_eq!(y, [usize::from(d.labels()[0]), usize::from(d.labels()[5])]);
    let mut x32 = vec![0.0f32; 64];
    d.gather(&[5], &mut x32, &mut y[..1]).unwrap();
    assert_eq!(&x32[..], d.row(5));
    assert!(d.gather(&[1797], &mut x32, &mut y[..1]).is_err());
    assert!(d.gather(&[0, 1], &mut x32, &mut y).is_err());
}

// ---- CSV ----

fn csv_row(pixels: i64, label: &str) -> String {
    let mut fields: Vec<String> = (0..64).map(|_| pixels.to_string()).collect();
    fields.push(label.into());
    fields.join(",") + "\n"
}

#[test]
fn csv_reads_gzip_and_plain_and_names_the_line_of_a_bad_label_or_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = csv_row(1, "3") + &csv_row(2, "9");
    let layout = CsvLayout::digits();
    for (name, bytes) in [("a.csv", good.clone().into_bytes()), ("a.csv.gz", gzip(good.as_bytes()))]
    {
        let d = Dataset::from_csv(write(dir.path(), name, &bytes), &layout).unwrap();
        assert_eq!((d.len(), d.labels()), (2, &[3u8, 9][..]));
        assert_eq!(d.row(1), &[2.0; 64]);
    }

    // Label 10 on line 3 (byte offset: two rows before it).
    let bad = good.clone() + &csv_row(0, "10");
    let p = write(dir.path(), "label.csv.gz", &gzip(bad.as_bytes()));
    match Dataset::from_csv(&p, &layout) {
        Err(Error::MalformedRow { file, line, offset, reason }) => {
            assert_eq!((file, line, offset), (p.clone(), 3, good.len() as u64));
            assert!(reason.contains("label 10"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let msg = Dataset::from_csv(&p, &layout).unwrap_err().to_string();
    assert!(msg.contains("label.csv.gz") && msg.contains("line 3"), "{msg}");

    // A non-numeric field on line 2.
    let bad = csv_row(1, "3") + &csv_row(2, "9").replacen('2', "x2", 1);
    let p = write(dir.path(), "nan.csv", bad.as_bytes());
    match Dataset::from_csv(&p, &layout) {
        Err(Error::MalformedRow { line: 2, reason, .. }) => {
            assert!(reason.contains("\"x2\""), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // Wrong field count, a negative label, a blank line between rows.
    for (text, line) in [
        (csv_row(1, "3") + "1,2,3\n", 2),
        (csv_row(1, "-1"), 1),
        (csv_row(1, "3") + "\n" + &csv_row(1, "3"), 2),
        (csv_row(1, "3") + &csv_row(1, "3").replace('\n', ",4\n"), 2),
        (csv_row(1, "3") + &csv_row(1, "3").replacen('1', "-9223372036854775808", 1), 2),
        (csv_row(1, "3") + &csv_row(1, "3").replacen('1', "16777217", 1), 2),
        (csv_row(1, "3") + &csv_row(1, "3").replacen('1', "1.5", 1), 2),
    ] {
        let p = write(dir.path(), "bad.csv", text.as_bytes());
        match Dataset::from_csv(&p, &layout) {
            Err(Error::MalformedRow { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    // Empty files, plain and gzip; a missing file; a truncated gzip stream.
    for bytes in [Vec::new(), gzip(b""), b"\n\n".to_vec()] {
        let p = write(dir.path(), "empty.csv", &bytes);
        assert!(matches!(Dataset::from_csv(&p, &layout), Err(Error::Malformed { offset: 0, .. })));
    }
    assert!(matches!(
        Dataset::from_csv(dir.path().join("none.csv"), &layout),
        Err(Error::Io { .. })
    ));
    let gz = gzip(good.as_bytes());
    let p = write(dir.path(), "cut.csv.gz", &gz[..gz.len() / 2]);
    assert!(matches!(Dataset::from_csv(&p, &layout), Err(Error::Malformed { .. })));
}

// ---- IDX ----

/// A 3-image 2×3 IDX images file and its labels file, written by hand from the format.
fn idx_pair() -> (Vec<u8>, Vec<u8>) {
    let mut images = Vec::new();
    for v in [2051u32, 3, 2, 3] {
        images.extend_from_slice(&v.to_be_bytes());
    }
    images.extend(0u8..18);
    let mut labels = Vec::new();
    for v in [2049u32, 3] {
        labels.extend_from_slice(&v.to_be_bytes());
    }
    labels.extend([7u8, 0, 9]);
    (images, labels)
}

#[test]
fn idx_reads_raw_and_gzip_files() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_pair();
    for gz in [false, true] {
        let enc = |b: &[u8]| if gz { gzip(b) } else { b.to_vec() };
        let d = Dataset::from_idx(
            write(dir.path(), "i", &enc(&images)),
            write(dir.path(), "l", &enc(&labels)),
        )
        .unwrap();
        assert_eq!(
            (d.len(), d.shape(), d.classes(), d.labels()),
            (3, &[2usize, 3][..], 10, &[7u8, 0, 9][..])
        );
        assert_eq!(d.row(1), &[6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    }
}

#[test]
fn every_truncation_of_an_idx_file_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_pair();
    let li = write(dir.path(), "labels", &labels);
    let ii = write(dir.path(), "images", &images);
    for cut in 0..images.len() {
        let p = write(dir.path(), "cut-images", &images[..cut]);
        match Dataset::from_idx(&p, &li) {
            Err(Error::Malformed { file, offset, .. }) => {
                assert_eq!(file, p);
                assert!(offset <= cut as u64, "cut {cut}: offset {offset}");
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
    for cut in 0..labels.len() {
        let p = write(dir.path(), "cut-labels", &labels[..cut]);
        assert!(
            matches!(Dataset::from_idx(&ii, &p), Err(Error::Malformed { offset, .. }) if offset <= cut as u64)
        );
    }
    // Gzip: every cut of the compressed stream fails too (the body, the CRC or the length).
    let gz = gzip(&images);
    for cut in 0..gz.len() {
        let p = write(dir.path(), "cut-images.gz", &gz[..cut]);
        assert!(
            matches!(Dataset::from_idx(&p, &li), Err(Error::Malformed { .. })),
            "gzip cut {cut}"
        );
    }
    // The truncation offset names where the data ran out.
    let p = write(dir.path(), "cut-images", &images[..20]);
    assert!(matches!(Dataset::from_idx(&p, &li), Err(Error::Malformed { offset: 20, .. })));
}

#[test]
fn idx_headers_are_checked_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_pair();
    let header = |magic: u32, dims: &[u32]| {
        let mut b = magic.to_be_bytes().to_vec();
        for d in dims {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    };
    // 4.29 × 10⁹ images (the most a u32 can claim): refused at byte 4, nothing allocated.
    let huge = write(dir.path(), "huge", &header(2051, &[u32::MAX, 28, 28]));
    let li = write(dir.path(), "l", &header(2049, &[u32::MAX]));
    assert!(matches!(Dataset::from_idx(&huge, &li), Err(Error::Malformed { offset: 4, .. })));
    // 2²⁸ images of 28×28 (210 GB claimed) within the caps, in a 16-byte file: a truncation
    // error after 0 pixels, not an allocation of the claimed size.
    let big = write(dir.path(), "big", &header(2051, &[1 << 28, 28, 28]));
    let mut big_labels = header(2049, &[1 << 28]);
    big_labels.extend([1u8; 100]);
    let bl = write(dir.path(), "bl", &big_labels);
    assert!(matches!(Dataset::from_idx(&big, &bl), Err(Error::Malformed { offset: 108, .. })));
    // 65536 × 65536 pixels an image: over the per-image cap.
    let wide = write(dir.path(), "wide", &header(2051, &[3, 65536, 65536]));
    let l3 = write(dir.path(), "l3", &labels);
    assert!(matches!(Dataset::from_idx(&wide, &l3), Err(Error::Malformed { offset: 8, .. })));
    // Swapped files and zero dimensions.
    let ii = write(dir.path(), "i", &images);
    match Dataset::from_idx(&l3, &ii) {
        Err(Error::Malformed { offset: 0, reason, .. }) => {
            assert!(reason.contains("images file"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let zero = write(dir.path(), "zero", &header(2051, &[3, 0, 3]));
    assert!(matches!(Dataset::from_idx(&zero, &l3), Err(Error::Malformed { offset: 8, .. })));
}

#[test]
fn idx_count_mismatch_bad_label_and_trailing_bytes_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (images, mut labels) = idx_pair();
    let ii = write(dir.path(), "i", &images);
    let mut four = labels.clone();
    four[7] = 4;
    four.push(1);
    let l4 = write(dir.path(), "l4", &four);
    match Dataset::from_idx(&ii, &l4) {
        Err(Error::CountMismatch { images: 3, labels: 4, images_file, labels_file }) => {
            assert_eq!((images_file, labels_file), (ii.clone(), l4));
        }
        other => panic!("{other:?}"),
    }
    labels[9] = 10;
    let bad = write(dir.path(), "bad", &labels);
    match Dataset::from_idx(&ii, &bad) {
        Err(Error::Malformed { offset: 9, reason, .. }) => {
            assert!(reason.contains("label 10"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let mut long = images.clone();
    long.push(0);
    let (_, labels) = idx_pair();
    let l = write(dir.path(), "l", &labels);
    let p = write(dir.path(), "long", &long);
    assert!(matches!(Dataset::from_idx(&p, &l), Err(Error::Malformed { offset: 34, .. })));
}

#[test]
fn mnist_directory_accepts_both_naming_conventions_raw_or_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = idx_pair();
    write(dir.path(), "train-images-idx3-ubyte", &images);
    write(dir.path(), "train-labels-idx1-ubyte.gz", &gzip(&labels));
    write(dir.path(), "t10k-images.idx3-ubyte.gz", &gzip(&images));
    let missing = Dataset::mnist(dir.path()).unwrap_err();
    assert!(
        matches!(&missing, Error::Io { file, source } if file.ends_with("t10k-labels-idx1-ubyte")
            && source.kind() == std::io::ErrorKind::NotFound),
        "{missing}"
    );
    write(dir.path(), "t10k-labels.idx1-ubyte", &labels);
    let (train, test) = Dataset::mnist(dir.path()).unwrap();
    assert_eq!(train, test);
    assert_eq!((train.len(), train.labels()), (3, &[7u8, 0, 9][..]));
}

#[test]
fn mnist_from_shared_data_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    if !dir.join("train-images.idx3-ubyte.gz").is_file() {
        println!("skipped: MNIST is not at {} (CI does not need it)", dir.display());
        return;
    }
    let start = std::time::Instant::now();
    let (train, test) = Dataset::mnist(&dir).unwrap();
    println!("MNIST (gzip) read in {:.2} s", start.elapsed().as_secs_f64());
    assert_eq!((train.len(), train.shape(), train.classes()), (60_000, &[28usize, 28][..], 10));
    assert_eq!((test.len(), test.shape()), (10_000, &[28usize, 28][..]));
    // Class counts computed with Python's gzip module.
    assert_eq!(train.class_counts(), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert_eq!(test.class_counts(), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert_eq!(train.features().iter().copied().fold(0.0f32, f32::max), 255.0);
    // Pixel sums and first labels, from Python.
    assert_eq!(train.row(0).iter().sum::<f32>(), 27525.0);
    assert_eq!(train.row(59_999).iter().sum::<f32>(), 20920.0);
    assert_eq!(test.row(0).iter().sum::<f32>(), 18454.0);
    assert_eq!((&train.labels()[..3], &test.labels()[..3]), (&[5u8, 0, 4][..], &[7u8, 2, 1][..]));
    let missing = tempfile::tempdir().unwrap();
    assert!(matches!(Dataset::mnist(missing.path()), Err(Error::Io { .. })));
}
