// DriftStats needs only the C math library (log, exp, lgamma, …) besides the standard
// library; each file that calls it imports it (`LibM` once re-exported the platform's C
// library to every module that imported DriftStats, which hid missing imports).
