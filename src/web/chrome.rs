//! What every page's frame shows: the title, who is signed in, the links of their
//! workspace, and the CSRF token the sign-out form (and every other form) echoes.

use crate::accounts::Role;
use crate::edge::auth::CurrentUser;

/// One link of the navigation bar.
#[derive(Debug, Clone, Copy)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
}

/// The signed-in person as the frame names them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Their display name.
    pub name: String,
    /// Their role, in Chinese.
    pub role: &'static str,
}

/// The frame of a page (`base.html`).
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's title (before " · 免申即享").
    pub title: String,
    /// Who is signed in, if anyone.
    pub person: Option<Person>,
    /// The links of their workspace.
    pub nav: Vec<NavLink>,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    /// The style sheet's URL (with its content hash).
    pub css: String,
}

impl Chrome {
    /// The frame of a page titled `title` for `current` (or for nobody).
    pub fn new(title: impl Into<String>, current: Option<&CurrentUser>) -> Self {
        let person = current.map(|c| Person {
            name: c.user.display_name.clone(),
            role: c.user.role.label(),
        });
        let nav = current.map_or_else(Vec::new, |c| {
            if c.user.must_change_password {
                Vec::new()
            } else {
                workspace(c.user.role).to_vec()
            }
        });
        Self {
            title: title.into(),
            person,
            nav,
            csrf: current
                .and_then(CurrentUser::csrf_token)
                .unwrap_or_default()
                .to_owned(),
            css: super::assets::url("site.css"),
        }
    }
}

const fn link(href: &'static str, label: &'static str) -> NavLink {
    NavLink { href, label }
}

const HOME: NavLink = link("/", "首页");
const ENTERPRISE: &[NavLink] = &[
    HOME,
    link("/my/notices", "我的通知"),
    link("/my/grants", "我的补贴"),
    link("/my/profile", "企业档案"),
    link("/my/channels", "通知渠道"),
    link("/zhengce", "政策库"),
];
const COCKPIT: NavLink = link("/cockpit", "数字驾驶舱");
const AUTHOR: &[NavLink] = &[HOME, link("/policies", "政策与版本"), COCKPIT];
const REVIEWER: &[NavLink] = &[
    HOME,
    link("/review", "审核工作台"),
    link("/review/grants", "补贴审核"),
    link("/review/objections", "异议处理"),
    link("/policies", "政策与版本"),
    link("/gongshi", "公示"),
    link("/quarantine", "隔离区"),
    COCKPIT,
];
const AUDITOR: &[NavLink] = &[
    HOME,
    link("/audit", "审计日志"),
    link("/finance", "财政拨付"),
    link("/policies", "政策与版本"),
    link("/quarantine", "隔离区"),
    COCKPIT,
];
const ADMIN: &[NavLink] = &[
    HOME,
    link("/admin", "账号管理"),
    link("/audit", "审计日志"),
    link("/quarantine", "隔离区"),
    COCKPIT,
];
const FINANCE: &[NavLink] = &[
    HOME,
    link("/finance", "财政工作台"),
    link("/finance/ready", "待拨付"),
    link("/finance/batches", "拨付批次"),
    link("/finance/payments", "支付指令"),
    link("/finance/exceptions", "对账异常"),
    COCKPIT,
];

/// The pages each role works on, linked from every page it opens.
pub fn workspace(role: Role) -> &'static [NavLink] {
    match role {
        Role::Enterprise => ENTERPRISE,
        Role::PolicyAuthor => AUTHOR,
        Role::Reviewer => REVIEWER,
        Role::Auditor => AUDITOR,
        Role::Admin => ADMIN,
        Role::FinanceMaker | Role::FinanceChecker => FINANCE,
    }
}
