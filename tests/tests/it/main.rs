//! Integration tests against real `truffle` processes on 127.0.0.1.

mod accounts;
mod architecture;
mod backup;
mod bench;
mod byzantine;
mod catalog;
mod chat;
mod cluster;
mod erasure;
mod faults;
mod images;
mod kakao;
mod kakao_links;
mod openrpc;
mod operations;
mod payments;
mod raffles;
mod reco;
mod shutdown;
mod single_node;
mod verify;
