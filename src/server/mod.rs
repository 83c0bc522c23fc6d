//! The built-in reference server and its named faults.
