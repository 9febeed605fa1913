//! HTTP plumbing shared by every route: extractors, middleware, health, OpenAPI, assets, pages.

pub mod assets;
pub mod body_reader;
pub mod csp;
pub mod embed;
pub mod extractors;
pub mod fallback;
pub mod health;
pub mod local_time;
pub mod middleware;
pub mod numbers;
pub mod openapi;
pub mod pages;
pub mod schemas;

use serde::Deserialize;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// `limit` and `cursor` of list endpoints.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (default 50).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, crate::error::AppError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => Ok(limit),
            Some(_) => Err(crate::error::AppError::validation(
                "limit",
                "must be between 1 and 500",
            )),
        }
    }
}

/// A page of a list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` rows: the extra row only tells that more follow, and the
    /// cursor then points after the last row kept.
    pub fn from_overfetch<R>(
        mut rows: Vec<R>,
        limit: i64,
        cursor_of: impl Fn(&R) -> String,
        view: impl Fn(&R) -> T,
    ) -> Self {
        let kept = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > kept {
            rows.truncate(kept);
            rows.last().map(&cursor_of)
        } else {
            None
        };
        Page {
            items: rows.iter().map(view).collect(),
            next_cursor,
        }
    }
}
