//! Execution: the only module that wires readers, stages and writers together. TODO.
