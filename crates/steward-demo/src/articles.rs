//! A small knowledge base: the answers a desk writes first.

use steward_domain::knowledge::{ArticleStatus, Visibility};
use steward_domain::Actor;
use steward_service::{ArticleInput, Service};

use crate::Result;

/// (category, title, visibility, body in Markdown)
const ARTICLES: &[(&str, &str, Visibility, &str)] = &[
    ("Accounts", "Reset your password", Visibility::Public,
     "You can choose a new password yourself at any time.\n\n1. Open the sign-in page and choose **Forgot password**.\n2. Enter your work e-mail address.\n3. Follow the link in the e-mail within 30 minutes.\n\nA good password is long: four random words are easier to remember and harder to guess than `P@ssw0rd1`.\n\nIf your account is **locked**, wait 15 minutes or call the service desk."),
    ("Accounts", "Set up sign-in codes on a new phone", Visibility::Public,
     "When you change phones, move your sign-in codes **before** you return the old one.\n\n1. Install the authenticator app on the new phone.\n2. Sign in at the account portal and choose **Security info**.\n3. Add the new phone and scan the QR code.\n4. Remove the old phone.\n\nIf the old phone is already gone, open a request: we reset your registration after checking who you are."),
    ("Remote work", "Connect to the VPN from home", Visibility::Public,
     "Start the VPN client from the system tray and choose the **Default** profile.\n\n- Sign in with your work account and approve the prompt on your phone.\n- If it fails with a certificate error, restart the laptop once while connected to the office network or the mobile hotspot.\n- Drops every few minutes usually mean a home router with a small MTU: restart the router and try again.\n\nStill no luck? Open a request and include the error message and the client version (Help → About)."),
    ("Printing", "Printer shows a paper jam but no paper is stuck", Visibility::Public,
     "1. Open every tray and the back door and look for small torn pieces of paper.\n2. Switch the printer off for 30 seconds.\n3. Print a test page from the printer's menu.\n\nIf the jam message stays, note the **asset tag** on the front and open a request: the fuser may need replacing."),
    ("Printing", "Scan to e-mail does not arrive", Visibility::Public,
     "Check the junk folder first. Scans larger than 20 MB are refused by the mail server: scan in black and white or at 200 dpi.\n\nIf nothing arrives at all, the printer's relay password may have expired: open a request with the printer's asset tag."),
    ("E-mail", "Outlook keeps asking for my password", Visibility::Public,
     "1. Close Outlook.\n2. Open **Credential Manager** from the start menu and remove the entries that start with `MicrosoftOffice`.\n3. Start Outlook and sign in once.\n\nIf the prompt comes back, check that your password has not expired by signing in to the web mail."),
    ("E-mail", "Mailbox full: archive old mail", Visibility::Public,
     "Your mailbox holds 50 GB. The **online archive** holds more and is searched from Outlook as well.\n\nRight-click a folder, choose **Properties → Policy**, and select *Archive after 1 year*. Large attachments can also be saved to your personal drive and deleted from mail."),
    ("Meetings", "Others cannot hear me in Teams", Visibility::Public,
     "- In Teams, open **Settings → Devices** and choose your headset as microphone and speaker.\n- Make a test call.\n- Unplug and reconnect the headset; use the USB port on the laptop, not the dock.\n\nRobotic sound is usually a weak Wi-Fi signal: try a cable or move closer to the access point."),
    ("Workplace", "Docking station: external monitors stay black", Visibility::Public,
     "Unplug the dock's power for ten seconds, then connect the laptop again. If that does not help, the dock may need a firmware update: the service desk can install it remotely."),
    ("Workplace", "Request a new laptop or accessory", Visibility::Public,
     "Open a **service request** in the portal with what you need and your manager's approval. Standard accessories (mouse, headset, charger) are delivered within two working days."),
    ("Infrastructure", "Runbook: disk space alert on a file server", Visibility::Internal,
     "1. Check log rotation: `Get-ChildItem D:\\Logs -Recurse | Sort Length -Desc | Select -First 20`.\n2. Delete logs older than 30 days.\n3. If the data volume itself is full, extend the disk in the hypervisor (max +20 % without a change record).\n4. Add a note with what was freed."),
    ("Infrastructure", "Runbook: reissue a VPN certificate", Visibility::Internal,
     "Use the internal CA's *VPN User* template. Revoke the old certificate, issue a new one for the user's UPN, and push the profile from device management. The user reconnects once."),
];

/// Writes the articles (published) unless the knowledge base has some already; returns how many.
pub(crate) async fn write(svc: &Service) -> Result<usize> {
    let system = Actor::system();
    if !svc.articles(&system, None, None).await?.is_empty() {
        return Ok(0);
    }
    let mut categories: Vec<(&str, steward_domain::KbCategoryId)> = Vec::new();
    for (i, (category, title, visibility, body)) in ARTICLES.iter().enumerate() {
        let category_id = match categories.iter().find(|(n, _)| n == category) {
            Some((_, id)) => *id,
            None => {
                let c = svc
                    .create_kb_category(&system, None, category, i as i64)
                    .await?;
                categories.push((category, c.id));
                c.id
            }
        };
        svc.create_article(
            &system,
            ArticleInput {
                title: (*title).into(),
                body: (*body).into(),
                category_id: Some(category_id),
                visibility: Some(*visibility),
                organisations: Vec::new(),
                status: Some(ArticleStatus::Published),
                tags: Vec::new(),
                expected_version: None,
                note: None,
            },
        )
        .await?;
    }
    Ok(ARTICLES.len())
}
