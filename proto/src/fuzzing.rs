//! Fuzz harness bodies, shared by fuzz/ and the corpus replay tests.
