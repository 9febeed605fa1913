//! The week view's time grid, worked out without I/O: which hours it shows, and where each
//! meeting sits. Rows are half hours; meetings that overlap on a day share one block, side by
//! side, so none hides another.

/// Minutes since local midnight.
pub type Minute = u32;

/// The half-hour rows of the grid: the working day, widened to every meeting of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub first: u32,
    pub last: u32,
}

impl Hours {
    /// 08:00–18:00, or wider when a meeting starts earlier or ends later.
    pub fn covering(spans: impl IntoIterator<Item = (Minute, Minute)>) -> Self {
        let (mut first, mut last) = (8, 18);
        for (start, end) in spans {
            first = first.min(start / 60);
            last = last.max(end.div_ceil(60));
        }
        Self {
            first,
            last: last.clamp(first + 1, 24),
        }
    }

    pub fn rows(self) -> u32 {
        (self.last - self.first) * 2
    }

    /// The grid row (from 2: row 1 holds the day names) where the half hour holding `minute`
    /// begins.
    pub fn row_of(self, minute: Minute) -> u32 {
        let from_first = minute.saturating_sub(self.first * 60);
        (from_first / 30).min(self.rows() - 1) + 2
    }

    /// The rows a span covers: at least one, and never past the last row.
    pub fn span_of(self, start: Minute, end: Minute) -> u32 {
        let first_row = self.row_of(start);
        let last_row = (self.row_of(end.saturating_sub(1))).max(first_row);
        last_row - first_row + 1
    }
}

/// Meetings of one day that overlap, directly or through each other, as one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub start: Minute,
    pub end: Minute,
    /// Indexes into the day's meetings, by start.
    pub members: Vec<usize>,
}

/// Groups a day's meetings (`(start, end)` in minutes) into clusters of overlapping ones.
pub fn clusters(spans: &[(Minute, Minute)]) -> Vec<Cluster> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, spans[i].1));
    let mut found: Vec<Cluster> = Vec::new();
    for index in order {
        let (start, end) = spans[index];
        match found.last_mut() {
            Some(cluster) if start < cluster.end => {
                cluster.end = cluster.end.max(end);
                cluster.members.push(index);
            }
            _ => found.push(Cluster {
                start,
                end: end.max(start + 1),
                members: vec![index],
            }),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Minute = 60;

    #[test]
    fn the_grid_shows_the_working_day_widened_to_every_meeting() {
        assert_eq!(Hours::covering([]), Hours { first: 8, last: 18 });
        assert_eq!(
            Hours::covering([(6 * H + 30, 7 * H), (19 * H, 20 * H + 15)]),
            Hours { first: 6, last: 21 }
        );
        assert_eq!(Hours::covering([(23 * H, 24 * H)]).last, 24);
    }

    #[test]
    fn rows_are_half_hours_after_the_header() {
        let hours = Hours { first: 8, last: 18 };
        assert_eq!(hours.rows(), 20);
        assert_eq!(hours.row_of(8 * H), 2);
        assert_eq!(hours.row_of(8 * H + 29), 2);
        assert_eq!(hours.row_of(9 * H + 30), 5);
        assert_eq!(hours.span_of(9 * H, 10 * H), 2);
        assert_eq!(hours.span_of(9 * H, 9 * H + 15), 1);
        assert_eq!(hours.span_of(9 * H + 15, 10 * H + 15), 3);
        assert_eq!(hours.row_of(23 * H), 21, "never past the last row");
    }

    #[test]
    fn overlapping_meetings_share_a_block_and_others_do_not() {
        let spans = [
            (10 * H, 11 * H),
            (9 * H, 9 * H + 30),
            (10 * H + 30, 12 * H),
            (12 * H, 13 * H),
            (11 * H + 45, 12 * H + 15),
        ];
        let found = clusters(&spans);
        assert_eq!(
            found,
            vec![
                Cluster {
                    start: 9 * H,
                    end: 9 * H + 30,
                    members: vec![1]
                },
                Cluster {
                    start: 10 * H,
                    end: 13 * H,
                    members: vec![0, 2, 4, 3]
                },
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn every_meeting_is_in_exactly_one_block_that_covers_it(
            raw in proptest::collection::vec((0u32..1400, 1u32..240), 0..30)
        ) {
            let spans: Vec<(Minute, Minute)> =
                raw.iter().map(|&(start, length)| (start, (start + length).min(1440))).collect();
            let found = clusters(&spans);
            let mut seen = vec![0; spans.len()];
            for cluster in &found {
                for &member in &cluster.members {
                    seen[member] += 1;
                    proptest::prop_assert!(cluster.start <= spans[member].0);
                    proptest::prop_assert!(spans[member].1 <= cluster.end);
                }
            }
            proptest::prop_assert!(seen.iter().all(|&n| n == 1));
            for pair in found.windows(2) {
                proptest::prop_assert!(pair[0].end <= pair[1].start);
            }
        }
    }
}
