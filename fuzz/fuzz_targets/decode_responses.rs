#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cloudflare_ssl_fuzz::decode_responses::run(data));
