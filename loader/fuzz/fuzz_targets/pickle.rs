#![no_main]
//! The restricted pickle interpreter on its own, with storages as the only
//! persistent ids, under a small parse budget.
use loader::formats::pth::pickle;
use loader::input::Input;
use std::io::Cursor;
use std::rc::Rc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = loader_fuzz::limits();
    let mut input = Input::new(Cursor::new(data), data.len() as u64, "fuzz.pkl");
    input.set_budget(limits.parse_budget(data.len() as u64).min(16 << 20));
    let v = pickle::load(&mut input, &limits, |pid| {
        pickle::storage_from_pid(pid).map(|s| pickle::Value::Storage(Rc::new(s)))
    });
    if let Ok(v) = v {
        let _ = format!("{v:?}");
    }
});
