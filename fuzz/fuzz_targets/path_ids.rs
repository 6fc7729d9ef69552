#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudflare_ssl_fuzz::path_ids::run(data));
