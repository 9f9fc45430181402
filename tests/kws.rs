//! The spoken-digit targets on the committed held-out voices: the float
//! reference reaches 90 %, and the 8-bit loihi program stays within 2 points.

use spikefab::kws;
use spikefab_chip::Arch;

#[test]
fn spoken_digits_float_and_loihi_accuracy() {
    let dir = kws::ModelSource::shipped();
    let enc = kws::Encoding::load(&dir).unwrap();
    let clips = kws::load_test_set(&dir, &enc).unwrap();
    assert!(clips.len() >= 100, "{} clips", clips.len());
    let net = kws::load_model(&dir).unwrap();
    let float = kws::float_accuracy(&net, &clips);
    let (_, loihi) = kws::evaluate(&net, &Arch::preset("loihi").unwrap(), &clips).unwrap();
    eprintln!("float {float:.3}, loihi {:.3}", loihi.accuracy);
    assert!(float >= 0.90, "float reference accuracy {float}");
    assert!(
        loihi.accuracy >= float - 0.02,
        "loihi {} vs float {float}",
        loihi.accuracy
    );
}
