#!/usr/bin/env python3
"""Sample partner referrals for examples/partner/policy.handoff (stdlib only).

Usage: gen.py N [--seed S] [--now ISO8601]

Prints N referral records as NDJSON: the inbound record shape (contact,
company, engagement, context, consent, lifecycle) plus the `referral` the
partner portal adds and per-channel consent. Same N, seed and now give the
same bytes. The file in this folder was made with

    python3 gen.py 150 --seed 5 > leads.ndjson

Deliberate messiness, as partner portals send it:
  * placeholders typed by partners: "TBD", "N/A", "n/a", "none", ""
  * fields absent, or present as null
  * partner IDs in other spellings ("prt-0117 ", "P-117")
  * a few wrong types: employees "1200+", response_commitment 24 (a bare
    number), consent.email "yes", pain_points as one string
  * one timestamp without a time zone ("2025-05-14 10:22:00")
  * EMEA contacts without a GDPR basis, contacts the partner may not share
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)

# id, name, tier, response time promised in the partner agreement
PARTNERS = [
    ("PRT-0042", "Globex Partners", "platinum", "8h"),
    ("PRT-0007", "Kestrel Consulting", "platinum", "8h"),
    ("PRT-0117", "Nordic RevOps AB", "gold", "24h"),
    ("PRT-0230", "Sahara Digital", "gold", "24h"),
    ("PRT-0311", "Andes Cloud Partners", "silver", "48h"),
    ("PRT-0408", "Meridian Systems Integration", "gold", "24h"),
    ("PRT-0555", "Sakura Solutions KK", "silver", "48h"),
    ("PRT-0612", "Halcyon Advisory", "registered", None),
    ("PRT-0790", "Bluefjord IT", "registered", None),
]
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ivan", "Jun",
         "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Rosa", "Søren", "Tariq", "Uma",
         "Wen", "Yusuf", "Zoë", "José", "Małgorzata", "Aoife"]
LAST = ["Andersen", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito",
        "Jansen", "Kowalski", "Li", "Müller", "Nakamura", "O'Brien", "Patel", "Rossi",
        "Schmidt", "Tanaka", "Van der Berg", "Wójcik", "Yilmaz", "Zhang", "Novák"]
TITLES = ["VP Sales", "Head of RevOps", "Sales Ops Manager", "CRO", "Director of Marketing",
          "CTO", "IT Manager", "CEO", "COO", "Head of Growth", "Unknown", "Other"]
CO_A = ["Acme", "Initech", "Umbrella", "Hooli", "Vandelay", "Tyrell", "Wonka", "Aperture",
        "Oscorp", "Nordwind", "Sakura", "Andes", "Sahara", "Halcyon", "Contoso", "Fabrikam"]
CO_B = ["Labs", "Systems", "GmbH", "Inc", "Ltd", "Group", "Logistics", "Health", "AG", "SA",
        "BV", "KK", "Software", "Foods"]
INDUSTRIES = ["software", "manufacturing", "healthcare", "financial_services", "retail",
              "logistics", "energy", "Other", "Unknown"]
REGIONS = {
    "EMEA": [("DE", "+49"), ("FR", "+33"), ("GB", "+44"), ("NL", "+31"), ("SE", "+46"),
             ("PL", "+48"), ("IE", "+353"), ("AE", "+971")],
    "NA": [("US", "+1"), ("CA", "+1")],
    "APAC": [("JP", "+81"), ("AU", "+61"), ("SG", "+65")],
    "LATAM": [("BR", "+55"), ("MX", "+52"), ("CL", "+56")],
}
ACT_KINDS = ["email_open", "email_click", "page_view", "webinar_attended", "partner_event",
             "demo_request", "call", "meeting", "content_download"]
DETAILS = {
    "email_open": ["Partner co-marketing newsletter", "Joint webinar invite"],
    "email_click": ["CTA: joint case study", "Link: marketplace listing"],
    "page_view": ["/partners/globex", "/pricing", "/integrations", "/security"],
    "webinar_attended": ["Partner-led: routing in practice", "Joint webinar: speed to lead"],
    "partner_event": ["Partner summit booth", "Partner roadshow, Berlin"],
    "demo_request": ["Requested via partner portal", "Requested at partner event"],
    "call": ["Partner intro call", "Left voicemail"],
    "meeting": ["Three-way intro with partner rep"],
    "content_download": ["Partner solution brief", "ROI one-pager"],
}
REASONS = [
    "Partner is implementing their ERP and found gaps in lead routing.",
    "Customer asked the partner for a handoff tool during a CRM migration.",
    "Wants SLA reporting for their sales floor; partner recommended us.",
    "Co-selling on a marketplace deal the partner registered.",
    "Interested",                                           # too short to act on
    "TBD", "N/A", "",
]
PAINS = ["slow_follow_up", "leads_fall_through_cracks", "unclear_ownership", "manual_routing",
         "bad_data_quality", "territory_conflicts", "no_sla_tracking", "gdpr_risk"]
USE_CASES = ["Inbound routing for 40 SDRs", "Partner lead distribution",
             "EMEA consent-aware handoff", "Marketplace co-sell", "TBD"]
TIMELINES = ["immediate", "this_quarter", "next_quarter", "this_year", "unknown"]
BUDGETS = ["<10k", "10k-50k", "50k-250k", "250k+"]
COMPETITORS = ["RouteRight", "LeadFlow", "in-house scripts", "CRM native rules"]
NOTES = ["Met at partner summit; CFO is the sponsor.",
         "Existing ERP customer of ours (the partner's); unhappy with current routing.",
         "Friend of the partner's CEO - please handle personally.",
         "Called twice, prefers email. Mobile in the notes field: +44 7700 900123.",
         "n/a"]
STAGES = ["referred"] * 11 + ["accepted"] * 5 + ["sql"] * 2 + ["opportunity", "rejected", "duplicate"]
OWNERS = ["csdr.ines.moreau", "csdr.jan.kowalski", "csdr.aoife.byrne", "csdr.luis.garcia",
          "csdr.maya.chen", "csdr.sam.okoro", "csdr.nadia.haddad", "ae.partner.sofia.rossi"]


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(s):
    return "".join(c for c in s.lower() if c.isalnum())


def put(rng, obj, key, value, p_missing=0.0, p_null=0.0):
    r = rng.random()
    if r < p_missing:
        return
    obj[key] = None if r < p_missing + p_null else value


def referral(rng, i, now):
    pid, pname, tier, commitment = rng.choice(PARTNERS)
    submitted = now - timedelta(seconds=rng.randint(3600, 90 * 86400))
    if i in (23, 71):
        pid, pname, tier, commitment = PARTNERS[2]
        # typed by hand: the first normalises to PRT-0117, the second cannot
        # be matched for commission
        pid = "prt-0117 " if i == 23 else "P-117"
    ref = {"partner_id": pid, "partner_name": pname, "partner_tier": tier,
           "submitted_at": iso(submitted)}
    ref["deal_registration"] = tier in ("platinum", "gold") and rng.random() < 0.5
    if ref["deal_registration"]:
        ref["registration_expires_at"] = iso(submitted + timedelta(days=rng.choice([30, 60, 90])))
    if i == 52:
        ref["response_commitment"] = 24          # hours, as a bare number
    elif commitment is not None:
        ref["response_commitment"] = commitment
    put(rng, ref, "co_sell", rng.random() < 0.35, 0.3, 0.05)
    put(rng, ref, "notes", rng.choice(NOTES), 0.5)
    return ref, submitted


def lead(rng, i, now):
    ref, submitted = referral(rng, i, now)
    created = submitted + timedelta(seconds=rng.randint(5, 600))   # the portal sync
    region = rng.choice(["EMEA", "EMEA", "EMEA", "NA", "NA", "APAC", "LATAM"])
    country, dial = rng.choice(REGIONS[region])
    fn, ln = rng.choice(FIRST), rng.choice(LAST)
    co_name = rng.choice(CO_A) + " " + rng.choice(CO_B)
    domain = slug(co_name) + rng.choice([".com", ".io", ".de", ".co.uk", ".fr"])

    contact = {"name": fn + " " + ln}
    put(rng, contact, "email", f"{slug(fn)}.{slug(ln)}@{domain}" if rng.random() > 0.04 else "TBD", 0.05, 0.03)
    put(rng, contact, "phone", f"{dial} {rng.randint(10, 99)} {rng.randint(100000, 9999999)}"
        if rng.random() > 0.1 else f"0{rng.randint(100, 999)} {rng.randint(100000, 999999)}", 0.2, 0.05)
    put(rng, contact, "mobile", f"{dial} {rng.randint(600, 799)} {rng.randint(100000, 999999)}", 0.6)
    put(rng, contact, "title", rng.choice(TITLES), 0.1, 0.05)
    contact["updated_at"] = iso(submitted - timedelta(seconds=rng.randint(0, 150 * 86400)))
    if i == 97:
        contact["updated_at"] = (submitted - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")

    company = {"name": co_name}
    put(rng, company, "domain", domain, 0.1)
    emp = max(1, int(rng.lognormvariate(5.8, 1.7)))
    if i == 34:
        company["employees"] = "1200+"
    else:
        put(rng, company, "employees", emp, 0.15, 0.05)
    put(rng, company, "industry", rng.choice(INDUSTRIES), 0.1, 0.05)
    put(rng, company, "region", region, 0.05, 0.03)
    put(rng, company, "country", country if rng.random() > 0.1 else country.lower(), 0.08)

    acts = []
    t = created - timedelta(days=rng.randint(0, 30))
    for _ in range(min(15, int(rng.expovariate(1 / 4.0)))):
        t += timedelta(seconds=rng.randint(600, 4 * 86400))
        if t >= now:
            break
        k = rng.choice(ACT_KINDS)
        a = {"kind": k, "at": iso(t), "detail": rng.choice(DETAILS[k])}
        if rng.random() < 0.05:
            a["detail"] = None
        acts.append(a)
    engagement = {}
    put(rng, engagement, "score", rng.randint(0, 100), 0.15, 0.05)
    if acts:
        engagement["last_activity_at"] = acts[-1]["at"]
    engagement["activities"] = acts

    context = {}
    put(rng, context, "reason_for_interest", rng.choice(REASONS), 0.08, 0.04)
    context["pain_points"] = rng.sample(PAINS, rng.choice([0, 1, 1, 2, 3]))
    if i == 118:
        context["pain_points"] = "Manual routing"     # one string, not a list
    put(rng, context, "use_case", rng.choice(USE_CASES), 0.3, 0.05)
    put(rng, context, "buying_timeline", rng.choice(TIMELINES), 0.15, 0.05)
    put(rng, context, "budget_range", rng.choice(BUDGETS), 0.35, 0.05)
    put(rng, context, "competitors", rng.sample(COMPETITORS, rng.choice([0, 0, 1, 2])), 0.3)

    consent = {"partner_may_share": rng.random() < 0.93}
    if region == "EMEA":
        put(rng, consent, "gdpr_basis", rng.choice(["consent", "consent", "legitimate_interest", "contract"]),
            0.08, 0.04)
    consent["email"] = rng.random() < 0.85
    if i == 64:
        consent["email"] = "yes"
    consent["phone"] = rng.random() < 0.5
    consent["sms"] = rng.random() < 0.2
    captured = submitted - timedelta(seconds=rng.randint(0, 400 * 86400))
    put(rng, consent, "captured_at", iso(captured), 0.1, 0.03)
    put(rng, consent, "captured_ip", f"{rng.choice(['203.0.113', '198.51.100', '192.0.2'])}.{rng.randint(1, 254)}", 0.3)

    stage = rng.choice(STAGES)
    lifecycle = {"stage": stage, "created_at": iso(created)}
    if stage != "referred" or rng.random() < 0.7:
        handed = created + timedelta(seconds=rng.randint(60, 2 * 86400))
        if handed < now:
            lifecycle["handed_off_at"] = iso(handed)
            clock = handed
            # A referred lead has been handed off but not accepted yet.
            steps = {"referred": [],
                     "accepted": ["accepted_at", "first_contact_at"],
                     "sql": ["accepted_at", "first_contact_at", "qualified_at"],
                     "opportunity": ["accepted_at", "first_contact_at", "qualified_at"],
                     "rejected": ["accepted_at"], "duplicate": []}[stage]
            for key in steps:
                if stage == "accepted" and key == "first_contact_at" and rng.random() < 0.3:
                    break
                clock += timedelta(seconds=rng.randint(600, {"accepted_at": 20 * 3600,
                                                             "first_contact_at": 2 * 86400,
                                                             "qualified_at": 12 * 86400}[key]))
                if clock >= now:
                    break
                lifecycle[key] = iso(clock)
    put(rng, lifecycle, "owner", rng.choice(OWNERS), 0.3 if stage == "referred" else 0.05)
    if "accepted_at" in lifecycle and rng.random() < 0.4:
        lifecycle["debrief"] = rng.choice(["Real need; partner told on day 2.",
                                           "Duplicate of an inbound lead; partner keeps credit.",
                                           "Too small for now; recycled to nurture.", "TBD"])

    return {
        "id": f"ref_{i:06d}",
        "source": rng.choice(["partner_referral"] * 7 + ["partner_marketplace"] * 2 + ["co_marketing_event"]),
        "referral": ref,
        "contact": contact,
        "company": company,
        "engagement": engagement,
        "context": context,
        "consent": consent,
        "lifecycle": lifecycle,
    }


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    n, seed, now = int(argv[1]), 5, NOW
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--seed":
            seed = int(args.pop(0))
        elif a == "--now":
            now = datetime.fromisoformat(args.pop(0).replace("Z", "+00:00"))
        else:
            sys.stderr.write(f"unknown arg {a}\n")
            return 2
    rng = random.Random(seed)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for i in range(n):
        sys.stdout.write(dumps(lead(rng, i, now)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
