// The header only declares libFuzzer's driver; compiler-rt defines it.
