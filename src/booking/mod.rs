//! Booking: shareable links, the public booking and manage pages, held slots.

pub mod calendar_links;
pub mod error;
pub mod limits;
pub mod link_pages;
pub mod links;
pub mod manage;
pub mod meetings_api;
pub mod meetings_page;
pub mod month_picker;
pub mod picker_page;
pub mod prefill;
pub mod public;
pub mod routes;
pub mod rules;
pub mod service;
pub mod slots_cache;
pub mod week_grid;
