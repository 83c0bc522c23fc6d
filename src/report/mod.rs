//! Reporters: console, JSON, JUnit. They read outcomes; they never run anything.
