//! The reference server, driven in-process by an arbitrary `Dialogue` over `tokio::io::duplex`:
//! it never panics, every reply is well-formed (RFC 959 §4.2), every command gets a reply, and
//! no invariant oracle fires (2xx for a malformed EPRT/PORT, a bounce, the EPSV ALL lockout, an
//! unparseable 227/229/522). The clock is paused, so the server's own timeouts cost nothing.
#![no_main]

use ftpspec::fuzz::{Dialogue, inproc, judge};
use ftpspec::server::FaultSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dialogue = Dialogue::decode(data);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
    else {
        return;
    };
    let trace = rt.block_on(inproc::run(&dialogue, FaultSet::default()));
    if let Some(v) = judge(&trace) {
        panic!(
            "{:?} {}: {}\n{dialogue:#?}",
            v.oracle, v.signature, v.detail
        );
    }
});
