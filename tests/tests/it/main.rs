//! Integration tests against real `truffle` processes on 127.0.0.1.

mod accounts;
mod catalog;
mod cluster;
mod faults;
mod single_node;
mod verify;
