//! What the palette lists for what was typed, and where the user is.

use crate::api::{HitSource, SearchHit};
use crate::components::ProjectRow;
use crate::components::UiAction;
use crate::components::fuzzy;
use crate::contracts::*;

/// Titles and actions shown at most; search hits come after them.
const SHOWN: usize = 8;

#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Action(UiAction),
    Project {
        id: ProjectId,
        title: String,
        root: String,
    },
    Thread {
        id: ThreadId,
        title: String,
        project: String,
    },
    Hit(SearchHit),
}

impl Entry {
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Action(_) => "action",
            Entry::Project { .. } => "project",
            Entry::Thread { .. } => "thread",
            Entry::Hit(h) if h.source == HitSource::Activity => "work",
            Entry::Hit(_) => "message",
        }
    }
}

/// The project and thread the page shows, if any.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Here {
    pub project: Option<ProjectId>,
    pub thread: Option<(ThreadId, ThreadState)>,
}

pub fn here_of(path: &str, rows: &[ProjectRow]) -> Here {
    if let Some(id) = path
        .strip_prefix("/threads/")
        .and_then(|id| id.parse::<ThreadId>().ok())
    {
        for project in rows {
            if let Some(t) = project.threads.iter().find(|t| t.id == id) {
                return Here {
                    project: Some(project.id),
                    thread: Some((id, t.state)),
                };
            }
        }
    }
    Here {
        project: path
            .strip_prefix("/projects/")
            .and_then(|id| id.parse().ok()),
        thread: None,
    }
}

/// What the palette offers for `typed`: without text, the actions that
/// apply here and the most recently active threads; with text, the best
/// fuzzy matches among actions, projects and threads, then the search hits.
pub fn entries(
    typed: &str,
    rows: &[ProjectRow],
    actions: &[UiAction],
    hits: &[SearchHit],
) -> Vec<Entry> {
    let typed = typed.trim();
    let mut found: Vec<(i32, Entry)> = Vec::new();
    for a in actions {
        found.extend(fuzzy::score(typed, a.label()).map(|s| (s, Entry::Action(*a))));
    }
    for p in rows {
        found.extend(fuzzy::score(typed, &p.title).map(|s| {
            (
                s,
                Entry::Project {
                    id: p.id,
                    title: p.title.clone(),
                    root: p.workspace_root.clone(),
                },
            )
        }));
        for t in &p.threads {
            found.extend(fuzzy::score(typed, &t.title).map(|s| {
                (
                    s,
                    Entry::Thread {
                        id: t.id,
                        title: t.title.clone(),
                        project: p.title.clone(),
                    },
                )
            }));
        }
    }
    if typed.is_empty() {
        let mut recent: Vec<_> = rows
            .iter()
            .flat_map(|p| p.threads.iter().map(move |t| (t, p)))
            .filter(|(t, _)| !t.archived)
            .collect();
        recent.sort_by_key(|(t, _)| std::cmp::Reverse(t.last_activity));
        let mut list: Vec<Entry> = actions.iter().map(|a| Entry::Action(*a)).collect();
        list.extend(recent.into_iter().take(SHOWN).map(|(t, p)| Entry::Thread {
            id: t.id,
            title: t.title.clone(),
            project: p.title.clone(),
        }));
        return list;
    }
    // Stable: equal scores keep actions, then projects, then threads.
    found.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    let mut list: Vec<Entry> = found.into_iter().take(SHOWN).map(|(_, e)| e).collect();
    list.extend(hits.iter().cloned().map(Entry::Hit));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::ThreadRow;

    fn row(title: &str, threads: &[(&str, i64)]) -> ProjectRow {
        ProjectRow {
            id: ProjectId::new(),
            title: title.into(),
            workspace_root: format!("/code/{title}"),
            deleting: false,
            delete_error: None,
            threads: threads
                .iter()
                .map(|(t, at)| ThreadRow {
                    id: ThreadId::new(),
                    title: (*t).into(),
                    state: ThreadState::Idle,
                    provider: Provider::Codex,
                    runtime_mode: RuntimeMode::FullAccess,
                    interaction_mode: InteractionMode::Default,
                    turn_count: 1,
                    archived: false,
                    last_activity: chrono::DateTime::from_timestamp(*at, 0).expect("time"),
                    worktree_branch: None,
                })
                .collect(),
        }
    }

    fn titles(list: &[Entry]) -> Vec<String> {
        list.iter()
            .map(|e| match e {
                Entry::Action(a) => a.label().to_string(),
                Entry::Project { title, .. } | Entry::Thread { title, .. } => title.clone(),
                Entry::Hit(h) => format!("hit {}", h.turn),
            })
            .collect()
    }

    #[test]
    fn without_text_actions_then_recent_threads() {
        let rows = [
            row("peon", &[("old", 1), ("new", 5)]),
            row("web", &[("mid", 3)]),
        ];
        let list = entries("", &rows, &[UiAction::OpenSettings], &[]);
        assert_eq!(titles(&list), ["Open settings", "new", "mid", "old"]);
    }

    #[test]
    fn typed_text_ranks_titles_then_lists_hits() {
        let rows = [row("peon", &[("Fix the login bug", 1), ("Lint", 2)])];
        let hit = SearchHit {
            thread_id: rows[0].threads[0].id,
            project_id: rows[0].id,
            thread_title: "Fix the login bug".into(),
            turn: 12,
            source: HitSource::Message {
                role: "user".into(),
            },
            snippet: vec![],
        };
        let list = entries("login", &rows, &UiAction::ALL, &[hit]);
        assert_eq!(titles(&list), ["Fix the login bug", "hit 12"]);
        assert_eq!(list[1].kind(), "message");
        let list = entries("settings", &rows, &UiAction::ALL, &[]);
        assert_eq!(titles(&list)[0], "Open settings");
    }

    #[test]
    fn the_page_says_which_thread_and_project_are_here() {
        let rows = [row("peon", &[("a", 1)])];
        let t = rows[0].threads[0].id;
        let here = here_of(&format!("/threads/{t}"), &rows);
        assert_eq!(here.project, Some(rows[0].id));
        assert_eq!(here.thread, Some((t, ThreadState::Idle)));
        let here = here_of(&format!("/projects/{}", rows[0].id), &rows);
        assert_eq!((here.project, here.thread), (Some(rows[0].id), None));
        assert_eq!(here_of("/settings", &rows), Here::default());
    }
}
