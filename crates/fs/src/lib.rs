//! The only crate that touches the machine: the probe and the plan executor.
