//! The server over real loopback sockets (port 0), one module per area.

mod abort;
mod active;
mod basic;
mod faults;
mod passive;
mod timeouts;
