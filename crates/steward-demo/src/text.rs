//! What a service desk's tickets say: subjects, first messages, replies, notes and fixes for the
//! problems people really call about, with names, hosts, error codes and versions filled in, so
//! that full-text search has a realistic vocabulary (a few very common words, many rare ones).

use steward_domain::{TicketType, Urgency};

use crate::rng::Rng;

/// A kind of problem: its team and category, and its words.
pub(crate) struct Topic {
    pub(crate) team: usize,
    pub(crate) category: &'static str,
    pub(crate) ticket_type: TicketType,
    pub(crate) urgency: Urgency,
    pub(crate) weight: u32,
    pub(crate) tags: &'static [&'static str],
    subjects: &'static [&'static str],
    details: &'static [&'static str],
    pub(crate) questions: &'static [&'static str],
    answers: &'static [&'static str],
    notes: &'static [&'static str],
    fixes: &'static [&'static str],
}

/// The teams of the demo desk, in the order topics name them.
pub(crate) const TEAMS: &[(&str, &str)] = &[
    ("Service Desk", "First line: every request starts here."),
    ("Workplace", "Laptops, printers, phones and desks."),
    ("Network", "Connectivity, VPN, servers and certificates."),
    (
        "Applications",
        "Mail, collaboration and business applications.",
    ),
];

/// Categories as "Parent / Child".
pub(crate) const CATEGORIES: &[&str] = &[
    "Hardware / Printer",
    "Hardware / Laptop",
    "Network / VPN",
    "Network / Wi-Fi",
    "Accounts / Password",
    "Accounts / Access",
    "Accounts / New starter",
    "Software / E-mail",
    "Software / Installation",
    "Software / Collaboration",
    "Software / Business applications",
    "Infrastructure / Servers",
    "Infrastructure / Backup",
];

pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        team: 1,
        category: "Hardware / Printer",
        ticket_type: TicketType::Incident,
        urgency: Urgency::Medium,
        weight: 9,
        tags: &["printer", "hardware"],
        subjects: &[
            "Printer on floor {floor} not printing",
            "{printer} shows paper jam but there is no paper stuck",
            "Cannot print to {printer} since this morning",
            "Toner low warning on {printer}",
            "Scanned documents from {printer} do not arrive by e-mail",
        ],
        details: &[
            "When I send a document to {printer} the job stays in the queue with the status error - printing.",
            "The display on the printer says \"{code}\" and the orange light is blinking.",
            "I already switched the printer off and on again and removed the tray, but nothing changed.",
            "Colleagues in room {room} have the same problem, so it is probably not my laptop.",
            "Scan to e-mail worked last week; now nothing arrives, not even in the junk folder.",
        ],
        questions: &[
            "Could you tell me the asset tag on the front of the printer?",
            "Does a test page print when you press the menu button for five seconds?",
            "Is it only documents from {app}, or every document?",
        ],
        answers: &[
            "The asset tag is {asset}. A test page printed fine.",
            "It only happens with PDF files, Word documents print normally.",
            "I tried again after lunch and the job is still stuck.",
        ],
        notes: &[
            "Print server {host} had 340 jobs stuck in the spooler; restarted the spooler service.",
            "Driver on the print server is version {version}; vendor recommends updating.",
            "Fuser unit needs replacing, ordered under the maintenance contract.",
        ],
        fixes: &[
            "I cleared the print queue on {host} and reinstalled the driver; printing works again.",
            "The technician replaced the fuser unit and ran a cleaning cycle; the printer is back in service.",
            "The scan-to-mail relay password had expired; I updated it on the printer and tested a scan.",
        ],
    },
    Topic {
        team: 2,
        category: "Network / VPN",
        ticket_type: TicketType::Incident,
        urgency: Urgency::High,
        weight: 10,
        tags: &["vpn", "remote-work"],
        subjects: &[
            "VPN disconnects every few minutes",
            "Cannot connect to VPN from home: {code}",
            "VPN connected but no access to {share}",
            "{vpnclient} asks for my password again and again",
            "Very slow VPN connection from {city}",
        ],
        details: &[
            "I am working from home today and {vpnclient} fails with the message \"{code}\".",
            "The connection drops roughly every ten minutes and my {app} session is lost each time.",
            "My home internet works fine, speed test shows 80 Mbit down.",
            "I restarted the laptop and the router but the problem stays.",
            "It started after the update that was installed on {weekday}.",
        ],
        questions: &[
            "Which version of {vpnclient} is shown under Help, About?",
            "Are you connected to the VPN profile for {city} or the default one?",
            "Can you send a screenshot of the error message, please?",
        ],
        answers: &[
            "It says version {version}. I use the default profile.",
            "Screenshot attached. The error appears right after I enter the token code.",
            "I switched to the mobile hotspot and it connects, so it may be my provider.",
        ],
        notes: &[
            "Gateway {host} logs show IKE phase 2 renegotiation failures for this user.",
            "User's certificate expires in two days; reissued from the internal CA.",
            "MTU issue with the home router; suggested 1380 on the tunnel interface.",
        ],
        fixes: &[
            "I reissued your VPN certificate and pushed the new profile; please reconnect once.",
            "We updated {vpnclient} to version {version}, which fixes the disconnects.",
            "Your account was missing from the VPN access group; I added it and the shares are reachable now.",
        ],
    },
    Topic {
        team: 0,
        category: "Accounts / Password",
        ticket_type: TicketType::ServiceRequest,
        urgency: Urgency::High,
        weight: 12,
        tags: &["account", "password"],
        subjects: &[
            "Account locked out",
            "Password reset for {person}",
            "Forgot my password after holiday",
            "MFA prompt does not arrive on my new phone",
            "Password expired and I cannot change it",
        ],
        details: &[
            "I typed my password wrong a few times and now it says the account is locked.",
            "I got a new phone and the authenticator app no longer shows the codes.",
            "The password change screen says the new password does not meet the requirements, but it is long.",
            "I need to access {app} before the meeting at {time}.",
            "My colleague {person} is on leave and we need the shared mailbox password rotated.",
        ],
        questions: &[
            "To confirm your identity, please reply with your employee number.",
            "Can you call the desk on extension {ext} so I can verify you?",
            "Which device do you want to register for sign-in codes?",
        ],
        answers: &[
            "My employee number is {asset}.",
            "I called and spoke to your colleague, thanks.",
            "I want to use the new phone; the old one was returned.",
        ],
        notes: &[
            "Identity verified by call-back to the number in the HR system.",
            "Lockouts come from an old phone still syncing mail with the previous password.",
            "Reset MFA registration; user to enrol again at next sign-in.",
        ],
        fixes: &[
            "I unlocked your account and set a temporary password; you will be asked to choose a new one.",
            "Your MFA registration is reset; at next sign-in you can add the new phone.",
            "The lockouts came from your old tablet; after removing the mail account there, it stays unlocked.",
        ],
    },
    Topic {
        team: 3,
        category: "Software / E-mail",
        ticket_type: TicketType::Incident,
        urgency: Urgency::Medium,
        weight: 11,
        tags: &["email", "outlook"],
        subjects: &[
            "Outlook keeps asking for credentials",
            "Mailbox full: cannot send e-mail",
            "E-mails to {domain} bounce with {code}",
            "Shared mailbox {mailbox} not visible in Outlook",
            "Calendar invites arrive twice",
        ],
        details: &[
            "Since this morning Outlook shows a password prompt every few minutes.",
            "I get a message that my mailbox is over its limit of 50 GB.",
            "The bounce says \"{code} recipient address rejected\" but the address is correct.",
            "My colleagues see the shared mailbox {mailbox}, but it does not appear for me.",
            "It happens in Outlook on my laptop, the web version works fine.",
        ],
        questions: &[
            "Could you forward one of the bounce messages as an attachment?",
            "Does it also happen in Outlook on the web?",
            "Are you using the new Outlook or the classic version?",
        ],
        answers: &[
            "I forwarded the bounce a minute ago.",
            "In the web version everything works, only the desktop app has the problem.",
            "It is the classic Outlook, version {version}.",
        ],
        notes: &[
            "Recipient domain {domain} rejects us because our SPF record lacks the new relay.",
            "Mailbox size 49.8 GB; archive policy was never applied to this user.",
            "Credential prompts caused by a stale token in the credential manager.",
        ],
        fixes: &[
            "I enabled the online archive and moved mail older than two years; you can send again.",
            "We added the new relay to our SPF record; mail to {domain} is delivered now.",
            "I granted you full access to {mailbox}; it appears in Outlook after a restart.",
        ],
    },
    Topic {
        team: 1,
        category: "Hardware / Laptop",
        ticket_type: TicketType::Incident,
        urgency: Urgency::Medium,
        weight: 9,
        tags: &["laptop", "hardware"],
        subjects: &[
            "Laptop does not start",
            "{model} battery drains in one hour",
            "Docking station: external monitors stay black",
            "Keyboard keys not working on {model}",
            "Laptop very slow after update",
        ],
        details: &[
            "My {model} shows a black screen after the logo; the power light is on.",
            "The battery was at 100 % this morning and was empty before {time}.",
            "Both monitors on the docking station in room {room} stay black, the laptop screen works.",
            "Several keys (e, r and t) only work when I press them very hard.",
            "Since the update on {weekday} everything takes minutes to open, even {app}.",
        ],
        questions: &[
            "What is the serial number on the bottom of the laptop?",
            "Does the laptop start when the charger is connected directly, without the dock?",
            "Can you bring the laptop to the desk on floor {floor}?",
        ],
        answers: &[
            "The serial number is {asset}.",
            "Without the dock it starts normally.",
            "I can bring it tomorrow morning at {time}.",
        ],
        notes: &[
            "Battery health report shows 41 % of design capacity; under warranty until next year.",
            "Dock firmware {version} is known to lose DisplayPort after sleep; update available.",
            "Loan laptop {asset} issued while the repair is done.",
        ],
        fixes: &[
            "I updated the dock firmware to {version}; both monitors work again.",
            "The battery was replaced under warranty; please let it charge fully once.",
            "The keyboard was replaced by the vendor; your laptop is ready at the desk.",
        ],
    },
    Topic {
        team: 2,
        category: "Network / Wi-Fi",
        ticket_type: TicketType::Incident,
        urgency: Urgency::Medium,
        weight: 6,
        tags: &["wifi", "network"],
        subjects: &[
            "No Wi-Fi in meeting room {room}",
            "Guest Wi-Fi password not working",
            "Wi-Fi drops on floor {floor}",
            "Cannot join the corporate Wi-Fi with the new phone",
        ],
        details: &[
            "In meeting room {room} the Wi-Fi signal is weak and video calls freeze.",
            "Visitors from {company} could not use the guest network this morning.",
            "The connection drops whenever I walk from my desk to the kitchen.",
            "The phone says the certificate of the network is not trusted.",
        ],
        questions: &[
            "At what time did the drops happen, roughly?",
            "Which device and operating system do you use?",
        ],
        answers: &[
            "Around {time}, and again in the afternoon.",
            "An iPhone on the latest version and a {model} laptop.",
        ],
        notes: &[
            "Access point {host} rebooted 14 times today; power supply suspected.",
            "Guest portal voucher batch expired; generated a new batch.",
        ],
        fixes: &[
            "We replaced the access point {host}; the signal in room {room} is good now.",
            "The guest vouchers were renewed; reception has the new codes.",
            "I installed the network profile on your phone; it trusts the certificate now.",
        ],
    },
    Topic {
        team: 0,
        category: "Accounts / New starter",
        ticket_type: TicketType::ServiceRequest,
        urgency: Urgency::Medium,
        weight: 7,
        tags: &["onboarding"],
        subjects: &[
            "New starter: {person} on {weekday}",
            "Accounts and laptop for new colleague in {department}",
            "Leaver: disable accounts of {person}",
            "Access to {app} for an intern",
        ],
        details: &[
            "{person} starts in {department} next {weekday} and needs a laptop, a phone and the usual accounts.",
            "Please give the same access as {person2}, including the {share} share.",
            "The last working day is Friday; please forward mail to the team lead for 30 days.",
            "The contract runs for six months; the manager is {person2}.",
        ],
        questions: &[
            "Which cost centre should the laptop be booked on?",
            "Does the new colleague need a mobile phone as well?",
        ],
        answers: &[
            "Cost centre {ext}, please.",
            "Yes, a phone with a data plan.",
        ],
        notes: &[
            "Accounts created from the HR template for {department}; laptop {asset} imaged.",
            "Mail forwarding set for 30 days; home folder archived to {share}.",
        ],
        fixes: &[
            "All accounts are ready; the laptop and the welcome letter are at reception.",
            "The accounts are disabled, mail is forwarded, and the laptop was collected.",
        ],
    },
    Topic {
        team: 3,
        category: "Software / Installation",
        ticket_type: TicketType::ServiceRequest,
        urgency: Urgency::Low,
        weight: 8,
        tags: &["software", "licence"],
        subjects: &[
            "Please install {app}",
            "Licence for {app} expired",
            "Need {app} version {version} for a customer project",
            "Software Center shows installation failed ({code})",
        ],
        details: &[
            "For the {company} project I need {app} on my laptop; my manager {person2} approved it.",
            "{app} says the licence expired yesterday and opens in read-only mode.",
            "The installation from the Software Center stops at 60 % with error {code}.",
            "I need it by {weekday} for a workshop.",
        ],
        questions: &[
            "Is a standard licence enough, or do you need the professional edition?",
            "Could you restart the laptop and try the installation again?",
        ],
        answers: &[
            "The standard licence is enough.",
            "I restarted and tried again, same error at 60 %.",
        ],
        notes: &[
            "Licence pool for {app}: 48 of 50 used; requested two more seats from procurement.",
            "Installer fails on missing runtime {version}; package dependency fixed.",
        ],
        fixes: &[
            "{app} is installed and licensed; you find it in the start menu.",
            "I renewed the licence assignment; {app} opens normally again.",
        ],
    },
    Topic {
        team: 0,
        category: "Accounts / Access",
        ticket_type: TicketType::ServiceRequest,
        urgency: Urgency::Medium,
        weight: 8,
        tags: &["access", "permissions"],
        subjects: &[
            "Access denied to {share}",
            "Need write access to the {department} folder",
            "Cannot open SharePoint site of {department}",
            "Permission request: {app} reports",
        ],
        details: &[
            "When I open {share} I get \"access denied\", although I had access last month.",
            "I moved to {department} and need to edit the files in their project folder.",
            "The site says I need to ask the owner for permission; the owner is {person2}.",
            "My manager approved the request by mail this morning.",
        ],
        questions: &[
            "Can the folder owner approve the access in this ticket, please?",
            "Do you need read access or also write access?",
        ],
        answers: &[
            "Approved. {person2}",
            "Write access, please, I maintain the planning sheets.",
        ],
        notes: &[
            "Added user to group GG-{department}-RW; replication to all sites takes 15 minutes.",
            "Old access was removed during the quarterly access review.",
        ],
        fixes: &[
            "You have write access to {share} now; please sign out and in once.",
            "I added you to the site members; the SharePoint site opens now.",
        ],
    },
    Topic {
        team: 3,
        category: "Software / Collaboration",
        ticket_type: TicketType::Incident,
        urgency: Urgency::Medium,
        weight: 7,
        tags: &["teams", "meetings"],
        subjects: &[
            "Teams meeting: others cannot hear me",
            "Headset not recognised in Teams",
            "Teams crashes when sharing screen",
            "Meeting room display in {room} does not connect",
        ],
        details: &[
            "In every Teams call the others say my voice is robotic or missing.",
            "The {model} headset works in other apps, but Teams does not list it.",
            "As soon as I share my screen Teams freezes and closes.",
            "The touch panel in room {room} shows \"{code}\" when we start a meeting.",
        ],
        questions: &[
            "Which Teams version is shown under Settings, About?",
            "Does the problem also happen in a test call?",
        ],
        answers: &[
            "Teams version {version}.",
            "Yes, the test call has the same problem.",
        ],
        notes: &[
            "Known issue with GPU acceleration on this driver; disabled hardware acceleration.",
            "Room system {host} lost its resource account password; reset it.",
        ],
        fixes: &[
            "After the audio driver update the headset works in Teams.",
            "The room system in {room} is signed in again and meetings start normally.",
        ],
    },
    Topic {
        team: 2,
        category: "Infrastructure / Servers",
        ticket_type: TicketType::Incident,
        urgency: Urgency::High,
        weight: 5,
        tags: &["monitoring", "server"],
        subjects: &[
            "[Monitoring] Disk space low on {host}",
            "[Monitoring] {host} not responding to ping",
            "[Monitoring] Certificate for {domain} expires in 14 days",
            "[Monitoring] Backup job {job} failed",
            "[Monitoring] High CPU on {host}",
        ],
        details: &[
            "Alert: volume D: on {host} has 3 % free space left (threshold 10 %).",
            "Alert: host {host} has not answered for 5 minutes. Last state: up.",
            "Alert: the TLS certificate for {domain} expires soon. Issuer: internal CA.",
            "Alert: backup job {job} ended with status failed, error {code}.",
            "Alert: CPU load on {host} above 95 % for 15 minutes.",
        ],
        questions: &[],
        answers: &[],
        notes: &[
            "Log rotation on {host} stopped after the last patch; 80 GB of old logs deleted.",
            "Hypervisor migrated the VM during maintenance; it came back after 7 minutes.",
            "Certificate renewed and deployed to the load balancer.",
            "Backup target {share} was full; old restore points pruned.",
        ],
        fixes: &[
            "Freed space on {host} and fixed the log rotation; the alert has cleared.",
            "The host is reachable again; root cause was a failed migration during maintenance.",
            "The certificate for {domain} is renewed until next year.",
            "Backup job {job} ran successfully after the target was cleaned up.",
        ],
    },
    Topic {
        team: 0,
        category: "Infrastructure / Backup",
        ticket_type: TicketType::ServiceRequest,
        urgency: Urgency::Medium,
        weight: 4,
        tags: &["restore"],
        subjects: &[
            "Restore deleted folder on {share}",
            "Accidentally overwrote {file}",
            "Recover e-mails deleted last week",
        ],
        details: &[
            "I deleted the folder \"{file}\" on {share} yesterday around {time} by mistake.",
            "I saved over {file} this morning; I need the version from last Friday.",
            "Some mails from {company} are gone from my inbox; I think I deleted them last week.",
        ],
        questions: &["Where should I restore the file, to the original place or beside it?"],
        answers: &["Beside it, please, so I can compare."],
        notes: &["Restored from the nightly snapshot of {weekday} to a folder named restored."],
        fixes: &[
            "The folder is restored to {share}; please check that everything is there.",
            "I restored the version from Friday next to the current file.",
        ],
    },
    Topic {
        team: 3,
        category: "Software / Business applications",
        ticket_type: TicketType::Incident,
        urgency: Urgency::High,
        weight: 6,
        tags: &["erp", "finance"],
        subjects: &[
            "{erp}: invoice posting fails with {code}",
            "Payroll export to {erp} stuck",
            "{erp} very slow for the whole {department} team",
            "Month-end report in {erp} shows wrong totals",
        ],
        details: &[
            "When I post an invoice in {erp} it fails with error {code} and the document stays in draft.",
            "The payroll export has been running since {time} and shows no progress.",
            "Everyone in {department} waits 30 seconds for each screen in {erp}.",
            "The totals in the month-end report differ from the ledger by a few hundred euros.",
        ],
        questions: &[
            "Which company code and document number is affected?",
            "Since when exactly is it slow?",
        ],
        answers: &[
            "Company code {ext}, document {asset}.",
            "Since the upgrade on {weekday}.",
        ],
        notes: &[
            "Database server {host} had a blocking session from a stuck batch job; killed it.",
            "Vendor case opened for the rounding difference in the report; reference {asset}.",
        ],
        fixes: &[
            "The stuck batch job was stopped and {erp} is fast again; the export has finished.",
            "A missing tax code mapping caused {code}; it is added and the invoices are posted.",
        ],
    },
];

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Karin",
    "Lukas", "Maria", "Noah", "Olga", "Paul", "Queenie", "Rafael", "Sofia", "Tom", "Ute", "Viktor",
    "Wen", "Xavier", "Yara", "Zoe", "Amir", "Bianca", "Chen", "Dana", "Emil", "Fatima", "Gustav",
    "Hanna", "Ivan", "Julia", "Kofi", "Lea", "Mateo", "Nina", "Omar", "Petra", "Ravi", "Sara",
    "Timo", "Uma", "Vera", "Walter", "Yusuf", "Zara",
];

const LAST_NAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Novak",
    "García",
    "Rossi",
    "Dubois",
    "Jansen",
    "Kowalski",
    "Nielsen",
    "Silva",
    "Papadopoulos",
    "Horvat",
    "Öztürk",
    "Berg",
    "Lindqvist",
    "O'Brien",
    "Fischer",
    "Weber",
    "Costa",
    "Ivanova",
    "Moreau",
    "Smith",
    "Brown",
    "Wilson",
    "Tanaka",
    "Kim",
    "Singh",
    "Haddad",
    "Mensah",
    "Petrov",
    "Varga",
    "Keller",
    "Hofmann",
    "Laine",
    "Bauer",
    "Wagner",
    "Becker",
    "Schulz",
    "Koch",
    "Richter",
];

pub(crate) const COMPANY_WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Oscorp",
    "Pied Piper",
    "Dunder",
    "Gringotts",
    "Monarch",
    "Nakatomi",
    "Virtucon",
    "Massive",
    "Aperture",
    "Black Mesa",
    "Blue Sun",
    "Gekko",
];
pub(crate) const COMPANY_KINDS: &[&str] = &[
    "Logistics",
    "Dental",
    "Architects",
    "Bakery",
    "Legal",
    "Engineering",
    "Foods",
    "Insurance",
    "Hotels",
    "Clinic",
    "Media",
    "Retail",
    "Brewing",
    "Energy",
    "Consulting",
    "Textiles",
];

const APPS: &[&str] = &[
    "Excel",
    "Word",
    "PowerPoint",
    "AutoCAD",
    "Adobe Acrobat",
    "SAP GUI",
    "Visio",
    "Power BI",
    "Zoom",
    "Slack",
    "Photoshop",
    "Tableau",
    "Salesforce",
    "Jira",
    "Confluence",
    "7-Zip",
    "Notepad++",
    "Visual Studio Code",
    "Python",
    "DATEV",
    "Lexware",
    "QGIS",
];
const MODELS: &[&str] = &[
    "ThinkPad T14",
    "ThinkPad X1 Carbon",
    "Latitude 5440",
    "EliteBook 840",
    "MacBook Pro",
    "Surface Laptop 5",
    "Jabra Evolve2 65",
    "Poly Voyager",
    "Yealink MP56",
];
const PRINTERS: &[&str] = &[
    "the HP LaserJet",
    "the Kyocera TASKalfa",
    "the Ricoh IM C3000",
    "the Canon imageRUNNER",
    "the Brother MFC",
];
const VPN_CLIENTS: &[&str] = &[
    "GlobalProtect",
    "FortiClient",
    "Cisco AnyConnect",
    "WireGuard",
];
const ERPS: &[&str] = &["SAP", "Dynamics 365", "Odoo", "NetSuite"];
const CITIES: &[&str] = &[
    "Berlin",
    "Hamburg",
    "Vienna",
    "Zürich",
    "Lyon",
    "Milan",
    "Rotterdam",
    "Kraków",
    "Porto",
    "Leeds",
    "Dublin",
    "Gothenburg",
];
const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Sales",
    "Marketing",
    "Human Resources",
    "Procurement",
    "Engineering",
    "Logistics",
    "Customer Care",
    "Legal",
    "Facilities",
];
const WEEKDAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const FILES: &[&str] = &[
    "Budget 2026.xlsx",
    "Q3 forecast.xlsx",
    "Project plan.mpp",
    "Offer template.docx",
    "Board deck.pptx",
    "Site photos",
    "Contracts archive",
    "Tender documents",
];
const GREETINGS: &[&str] = &[
    "Hi",
    "Hello",
    "Good morning",
    "Dear colleagues,",
    "Hi team,",
];
const THANKS: &[&str] = &[
    "Thanks",
    "Thank you",
    "Best regards",
    "Kind regards",
    "Cheers",
    "Many thanks",
];
const CLOSERS: &[&str] = &[
    "Please let me know if the problem comes back; I will close the ticket in a few days otherwise.",
    "If anything is still not working, just reply to this message.",
    "I am marking this as solved. Reply here if you need anything else.",
];
const REQUESTER_EXTRAS: &[&str] = &[
    "It is quite urgent because we have a deadline this week.",
    "This is not urgent, whenever you have time.",
    "I am in the office until {time} today.",
    "You can reach me on extension {ext}.",
    "Sorry for the trouble and thanks for your help.",
    "The same thing happened a few months ago as well.",
];
const STAFF_EXTRAS: &[&str] = &[
    "I am looking into it now.",
    "I have asked a colleague from the second line to help.",
    "This may take until tomorrow because we need the vendor.",
    "In the meantime you can use the web version as a workaround.",
];

/// A person's name, by index (stable for the same index).
pub(crate) fn person_name(i: usize) -> String {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i / FIRST_NAMES.len() + i * 7) % LAST_NAMES.len()];
    format!("{first} {last}")
}

/// The words that make an address: lower case ASCII letters only.
pub(crate) fn mail_part(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'ä' | 'Ä' => Some('a'),
            'ö' | 'Ö' => Some('o'),
            'ü' | 'Ü' => Some('u'),
            'é' | 'í' => Some('e'),
            ' ' | '-' | '.' => Some('.'),
            _ => None,
        })
        .collect::<String>()
        .trim_matches('.')
        .to_string()
}

/// Writes text from a template, filling in its {slots}.
pub(crate) struct Writer<'a> {
    pub(crate) rng: &'a mut Rng,
    /// Names of people in the requester's organisation, for {person} and {person2}.
    pub(crate) colleague: &'a str,
    pub(crate) company: &'a str,
    pub(crate) domain: &'a str,
}

impl Writer<'_> {
    pub(crate) fn fill(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let slot = &rest[open + 1..open + close];
            out.push_str(&self.slot(slot));
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn slot(&mut self, name: &str) -> String {
        let r = &mut *self.rng;
        match name {
            "floor" => r.between(1, 9).to_string(),
            "room" => format!("{}.{:02}", r.between(1, 9), r.between(1, 40)),
            "printer" => format!("{} on floor {}", r.pick(PRINTERS), r.between(1, 9)),
            "code" => match r.below(4) {
                0 => format!("0x8007{:04X}", r.below(0xFFFF)),
                1 => format!("error {}", r.between(100, 9999)),
                2 => format!("E{}-{:02}", r.between(10, 99), r.below(100)),
                _ => format!("{}", r.between(400, 599)),
            },
            "host" => format!(
                "{}-{}{:02}",
                r.pick(&["srv", "fs", "prn", "ap", "db", "vpn", "app", "dc"]),
                r.pick(&["ber", "ham", "vie", "zrh", "lon", "dub"]),
                r.between(1, 40)
            ),
            "share" => format!(
                "\\\\fs-{:02}\\{}",
                r.between(1, 12),
                r.pick(DEPARTMENTS).replace(' ', "")
            ),
            "app" => r.pick(APPS).to_string(),
            "model" => r.pick(MODELS).to_string(),
            "vpnclient" => r.pick(VPN_CLIENTS).to_string(),
            "erp" => r.pick(ERPS).to_string(),
            "city" => r.pick(CITIES).to_string(),
            "department" => r.pick(DEPARTMENTS).to_string(),
            "weekday" => r.pick(WEEKDAYS).to_string(),
            "file" => r.pick(FILES).to_string(),
            "time" => format!("{}:{:02}", r.between(8, 17), r.below(4) * 15),
            "ext" => r.between(1000, 9999).to_string(),
            "asset" => format!(
                "{}{}",
                r.pick(&["A", "SN", "INV-", "PC"]),
                r.between(10_000, 999_999)
            ),
            "version" => format!(
                "{}.{}.{}",
                r.between(1, 24),
                r.below(10),
                r.between(0, 4000)
            ),
            "job" => format!("nightly-{}", r.pick(&["sql", "files", "mail", "vm", "erp"])),
            "mailbox" => format!(
                "{}@{}",
                r.pick(&["info", "sales", "invoices", "hr", "support", "office"]),
                self.domain
            ),
            "domain" => format!(
                "{}.example",
                mail_part(r.text(COMPANY_WORDS)).replace('.', "")
            ),
            "company" => self.company.to_string(),
            "person" | "person2" => self.colleague.to_string(),
            _ => String::new(),
        }
    }

    pub(crate) fn subject(&mut self, topic: &Topic) -> String {
        let t = self.rng.text(topic.subjects);
        self.fill(t)
    }

    /// The requester's first message.
    pub(crate) fn first_message(&mut self, topic: &Topic, me: &str) -> String {
        let mut body = String::new();
        if topic.questions.is_empty() {
            // A monitoring alert: no greeting, no signature.
            body.push_str(&{
                let d = self.rng.text(topic.details);
                self.fill(d)
            });
            body.push_str("\n\nThis message was generated by the monitoring system.");
            return body;
        }
        body.push_str(self.greeting());
        body.push_str("\n\n");
        let n = self.rng.between(2, 3);
        for _ in 0..n {
            let s = self.rng.text(topic.details);
            body.push_str(&self.fill(s));
            body.push(' ');
        }
        if self.rng.chance(0.5) {
            let s = self.rng.text(REQUESTER_EXTRAS);
            body.push_str(&self.fill(s));
        }
        self.sign(&mut body, me);
        body
    }

    pub(crate) fn question(&mut self, topic: &Topic, to: &str, me: &str) -> String {
        let mut body = format!("Hi {},\n\n", first_name(to));
        if self.rng.chance(0.3) {
            body.push_str(self.rng.text(STAFF_EXTRAS));
            body.push(' ');
        }
        let q = if topic.questions.is_empty() {
            "Could you describe what you see in a bit more detail?"
        } else {
            self.rng.text(topic.questions)
        };
        body.push_str(&self.fill(q));
        self.sign(&mut body, me);
        body
    }

    pub(crate) fn answer(&mut self, topic: &Topic, me: &str) -> String {
        let mut body = String::new();
        let a = if topic.answers.is_empty() {
            "It happened again just now."
        } else {
            self.rng.text(topic.answers)
        };
        body.push_str(&self.fill(a));
        if self.rng.chance(0.3) {
            body.push(' ');
            let s = self.rng.text(REQUESTER_EXTRAS);
            body.push_str(&self.fill(s));
        }
        self.sign(&mut body, me);
        body
    }

    pub(crate) fn note(&mut self, topic: &Topic) -> String {
        let n = self.rng.text(topic.notes);
        self.fill(n)
    }

    pub(crate) fn fix(&mut self, topic: &Topic, to: &str, me: &str) -> String {
        let mut body = format!("Hi {},\n\n", first_name(to));
        let f = self.rng.text(topic.fixes);
        body.push_str(&self.fill(f));
        body.push(' ');
        body.push_str(self.rng.text(CLOSERS));
        self.sign(&mut body, me);
        body
    }

    pub(crate) fn thanks(&mut self, me: &str) -> String {
        let mut body = String::from(self.rng.text(&[
            "That works, thank you very much!",
            "Great, it works again. Thanks for the quick help.",
            "Confirmed, the problem is gone.",
            "Sorry, it is still not working for me.",
        ]));
        self.sign(&mut body, me);
        body
    }

    fn greeting(&mut self) -> &'static str {
        self.rng.text(GREETINGS)
    }

    fn sign(&mut self, body: &mut String, me: &str) {
        body.push_str("\n\n");
        body.push_str(self.rng.text(THANKS));
        body.push_str(",\n");
        body.push_str(first_name(me));
    }
}

fn first_name(full: &str) -> &str {
    full.split(' ').next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_and_text_varies() {
        let mut rng = Rng::new(3);
        let mut w = Writer {
            rng: &mut rng,
            colleague: "Anna Müller",
            company: "Acme Logistics",
            domain: "acme.example",
        };
        let mut seen = std::collections::HashSet::new();
        for topic in TOPICS {
            for _ in 0..20 {
                let s = w.subject(topic);
                let m = w.first_message(topic, "Ben Novak");
                assert!(!s.contains('{') && !m.contains('{'), "{s} / {m}");
                assert!(!s.is_empty() && m.len() > 40, "{m}");
                seen.insert(s);
            }
            assert!(CATEGORIES.contains(&topic.category), "{}", topic.category);
            assert!(topic.team < TEAMS.len());
        }
        assert!(seen.len() > 100, "only {} different subjects", seen.len());
        let fix = w.fix(&TOPICS[0], "Anna Müller", "Tom Smith");
        assert!(fix.starts_with("Hi Anna,") && fix.ends_with("Tom"), "{fix}");
    }

    #[test]
    fn addresses_are_plain_ascii() {
        assert_eq!(mail_part("Zoë O'Brien-Öztürk"), "zo.obrien.ozturk");
        assert_eq!(mail_part("Pied Piper"), "pied.piper");
        assert_eq!(person_name(0), "Anna Müller");
        assert_ne!(person_name(1), person_name(51));
    }
}
