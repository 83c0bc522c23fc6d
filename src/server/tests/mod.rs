//! The server over real loopback sockets (port 0), one module per area.

mod abort;
mod active;
mod basic;
mod common;
mod faults;
mod faults_abor;
mod faults_bursts;
mod faults_commands;
mod faults_lockout;
mod faults_peers;
mod faults_replies;
mod faults_session;
mod passive;
mod timeouts;
