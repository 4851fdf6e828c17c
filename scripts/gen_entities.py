#!/usr/bin/env python3
"""Generates the seeded part of tests/data/entities.jsonl (182 of its records): Luhn- and
mod-97-valid values and near misses embedded in prose, JSON, YAML, logs and code. The other
records of that file were written by hand and appended. Usage: scripts/gen_entities.py OUT.jsonl"""
import json, random, base64, string
R = random.Random(20261122)
cases = []
def add(text, ents, kind):
    for t, v in ents:
        assert v in text, (t, v, text)
    cases.append({"text": text, "entities": [{"type": t, "value": v} for t, v in ents], "kind": kind})

def luhn_complete(prefix, n):
    d = prefix + ''.join(R.choice(string.digits) for _ in range(n - len(prefix) - 1))
    for c in string.digits:
        s = d + c
        tot = 0
        for i, ch in enumerate(reversed(s)):
            x = int(ch)
            if i % 2 == 1:
                x *= 2
                if x > 9: x -= 9
            tot += x
        if tot % 10 == 0:
            return s
def luhn_bad(card):
    last = int(card[-1]); return card[:-1] + str((last + 1) % 10)
def group(s, shape, sep=' '):
    out, i = [], 0
    for g in shape:
        out.append(s[i:i+g]); i += g
    return sep.join(out)
def iban(cc, length):
    bban = ''.join(R.choice(string.digits) for _ in range(length - 4))
    def num(s): return ''.join(str(int(c, 36)) for c in s)
    chk = 98 - int(num(bban + cc + '00')) % 97
    return f"{cc}{chk:02d}{bban}"
def iban_bad(i):
    c = int(i[2:4]); c2 = c + 1 if c < 97 else c - 1
    return i[:2] + f"{c2:02d}" + i[4:]
def spaced(i): return ' '.join(i[k:k+4] for k in range(0, len(i), 4))
def rnd(alpha, n): return ''.join(R.choice(alpha) for _ in range(n))
AN = string.ascii_letters + string.digits
UP = string.ascii_uppercase + string.digits
def b64u(b): return base64.urlsafe_b64encode(b).decode().rstrip('=')

names = ["maria.lopez", "j.smith", "anna-k", "tom_baker", "li.wei", "ravi.kumar", "sophie.martin", "k.nakamura", "olga.ivanova", "ben"]
domains = ["gmail.com", "outlook.de", "acme-corp.io", "uni-heidelberg.de", "mail.co.uk", "yahoo.fr", "company.com.br", "startup.ai", "posteo.net", "firm.nl"]
prose = ["Please forward the invoice to {v} before Friday.", "You can reach me at {v}, thanks!", "Contact: {v}", "My colleague ({v}) will send the slides.", "Reply to {v} if the build fails again."]
for i in range(12):
    e = f"{names[i % 10]}{R.randint(1,99) if i>5 else ''}@{domains[i % 10]}"
    kind = ["prose", "json", "yaml", "log", "code"][i % 5]
    text = {"prose": R.choice(prose).format(v=e), "json": json.dumps({"user": {"email": e, "plan": "pro"}}),
            "yaml": f"owner:\n  name: Dana\n  email: {e}\n", "log": f"2024-03-01T10:22:31Z INFO login ok user={e} ip_hash=ab12",
            "code": f'send_mail(to="{e}", subject="Welcome")'}[kind]
    add(text, [("email", e)], kind)

phones = [("+1 415 555 0132", "prose"), ("(212) 555-0187", "prose"), ("+44 20 7946 0958", "prose"), ("07700 900123", "prose"),
          ("+49 30 12345678", "json"), ("030 12345678", "prose"), ("+33 1 42 68 53 00", "yaml"), ("06 12 34 56 78", "prose"),
          ("+34 612 345 678", "log"), ("612 345 678", "prose"), ("+39 06 6982 1234", "prose"), ("+31 20 123 4567", "json"),
          ("06-12345678", "prose"), ("+91 98765 43210", "prose"), ("98765 43210", "prose"), ("+55 11 91234-5678", "yaml"),
          ("(11) 91234-5678", "prose"), ("+61 2 9374 4000", "prose"), ("0412 345 678", "prose"), ("+81 3-1234-5678", "log"),
          ("090-1234-5678", "prose"), ("415-555-0199", "code"), ("1-800-555-0134", "prose")]
ptmpl = {"prose": ["Call me on {v} after 6pm.", "Her mobile is {v}.", "Tel. {v} (office hours)", "You can ring {v} tomorrow."],
         "json": ['{{"name": "Ops", "phone": "{v}"}}'], "yaml": ["contact:\n  phone: \"{v}\"\n"],
         "log": ["WARN sms delivery failed to={v} retry=3"], "code": ['dial("{v}")  # support line']}
for v, k in phones:
    add(R.choice(ptmpl[k]).format(v=v), [("phone", v)], k)

cards = []
for prefix, n, shape in [("4", 16, [4,4,4,4]), ("51", 16, [4,4,4,4]), ("2221", 16, [4,4,4,4]), ("37", 15, [4,6,5]), ("6011", 16, [4,4,4,4]),
                         ("3530", 16, [4,4,4,4]), ("36", 14, [4,6,4]), ("62", 16, [4,4,4,4]), ("4", 16, None), ("55", 16, None), ("34", 15, None), ("4", 13, None)]:
    c = luhn_complete(prefix, n)
    cards.append(c)
    v = group(c, shape, R.choice([' ', '-'])) if shape else c
    k = R.choice(["prose", "json", "log", "yaml"])
    t = {"prose": f"My card number is {v}, expiry 09/27.", "json": json.dumps({"payment": {"pan": v, "exp": "11/26"}}),
         "log": f"ERROR charge declined card={v} amount=12.50", "yaml": f"billing:\n  card: {v}\n"}[k]
    add(t, [("credit_card", v)], k)

for cc, ln in [("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("ES", 24), ("IT", 27), ("BE", 16), ("CH", 21), ("AT", 20), ("PL", 28)]:
    ib = iban(cc, ln)
    if cc in ("GB", "FR", "IT"):  # those BBANs hold letters too
        pass
    v = spaced(ib) if R.random() < 0.5 else ib
    k = R.choice(["prose", "json", "yaml"])
    t = {"prose": f"Please transfer the deposit to IBAN {v} by Monday.", "json": json.dumps({"iban": v, "holder": "K. Meyer"}),
         "yaml": f"bank:\n  iban: {v}\n"}[k]
    add(t, [("iban", v)], k)

ssns = []
while len(ssns) < 8:
    a, g, s = R.randint(1, 899), R.randint(1, 99), R.randint(1, 9999)
    if a == 666: continue
    ssns.append(f"{a:03d}-{g:02d}-{s:04d}")
for i, v in enumerate(ssns):
    t = [f"SSN: {v}", f"Employee social security number {v} on file.", json.dumps({"ssn": v}), f"ssn={v} verified=true"][i % 4]
    add(t, [("ssn", v)], ["prose", "prose", "json", "log"][i % 4])
add("Her SSN is 512349876 per the form.", [("ssn", "512349876")], "prose")

ips = ["203.0.113.45", "8.8.8.8", "192.168.1.20", "10.0.0.5", "127.0.0.1", "2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1", "172.16.4.2", "93.184.216.34"]
for i, v in enumerate(ips):
    t = [f"Connection refused from {v} at 10:42", f"server: {{ host: {v}, port: 443 }}", (f"curl http://[{v}]:8080/health" if ":" in v else f"curl http://{v}:8080/health"), f"Allow traffic from {v} only."][i % 4]
    add(t, [("ip_address", v)], ["log", "yaml", "code", "prose"][i % 4])

# secrets
aws = "AKIA" + rnd(UP, 16)
add(f"aws_access_key_id = {aws}", [("aws_access_key_id", aws)], "code")
aws2 = "ASIA" + rnd(UP, 16)
add(json.dumps({"AccessKeyId": aws2, "Expiration": "2024-01-01T00:00:00Z"}), [("aws_access_key_id", aws2)], "json")
add("The docs use AKIAIOSFODNN7EXAMPLE as the key id.", [("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE")], "prose")
sec = rnd(string.ascii_letters + string.digits + "/+", 40)
add(f"aws_secret_access_key = {sec}", [("aws_secret_access_key", sec)], "code")
for p in ["ghp_", "gho_", "ghs_", "ghr_"]:
    v = p + rnd(AN, 36)
    add(f"export GITHUB_TOKEN={v}" if p == "ghp_" else f"git clone https://x-access-token:{v}@github.com/org/repo.git" if p == "ghs_" else f"token: {v}\n" if p=="gho_" else f"Using refresh token {v} for the app", [("github_token", v)], ["code", "yaml", "code", "prose"][["ghp_", "gho_", "ghs_", "ghr_"].index(p)])
v = "github_pat_" + rnd(AN, 22) + "_" + rnd(AN, 59)
add(f"I pasted my token {v} into the CI settings", [("github_token", v)], "prose")
v = "sk-proj-" + rnd(AN + "_-", 64)
add(f'client = OpenAI(api_key="{v}")', [("openai_key", v)], "code")
v = "sk-" + rnd(AN, 48)
add(f"OPENAI_API_KEY={v}", [("openai_key", v)], "code")
v = "sk-ant-api03-" + rnd(AN + "_-", 93) + "AA"
add(json.dumps({"anthropic": {"key": v}}), [("anthropic_key", v)], "json")
v = "xoxb-" + rnd(string.digits, 12) + "-" + rnd(string.digits, 13) + "-" + rnd(AN, 24)
add(f"slack:\n  bot_token: {v}\n", [("slack_token", v)], "yaml")
v = "xoxp-" + rnd(string.digits, 11) + "-" + rnd(AN, 30)
add(f"Slack says invalid_auth for {v}", [("slack_token", v)], "prose")
v = "sk_live_" + rnd(AN, 24)
add(f"STRIPE_SECRET_KEY={v}", [("stripe_key", v)], "code")
v = "rk_live_" + rnd(AN, 32)
add(f"2024-05-02 12:00:01 DEBUG stripe restricted key {v} loaded", [("stripe_key", v)], "log")
v = "sk_test_" + rnd(AN, 24)
add(f"For the sandbox use {v}.", [("stripe_key", v)], "prose")
v = "AIza" + rnd(AN + "_-", 35)
add(f'<script src="https://maps.googleapis.com/maps/api/js?key={v}"></script>', [("google_api_key", v)], "code")
hdr = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
pl = b64u(json.dumps({"sub": "1234", "name": "Jo", "iat": 1716239022}).encode())
v = f"{hdr}.{pl}.{b64u(bytes(R.getrandbits(8) for _ in range(32)))}"
add(f"Authorization: Bearer {v}", [("jwt", v)], "log")
hdr2 = b64u(json.dumps({"alg": "RS256", "kid": "k1"}).encode())
v = f"{hdr2}.{pl}.{b64u(bytes(R.getrandbits(8) for _ in range(64)))}"
add(json.dumps({"id_token": v}), [("jwt", v)], "json")
body = "\n".join(rnd(string.ascii_letters + string.digits + "+/", 64) for _ in range(6))
v = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
add(f"here is the key, why does ssh reject it?\n{v}\nthanks", [("private_key", v)], "prose")
body = "\n".join(rnd(string.ascii_letters + string.digits + "+/", 70) for _ in range(4))
v = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----"
add(f"deploy_key: |\n  {v}", [("private_key", v)], "yaml")
for t, v, k in [('DB_PASSWORD="{}"', rnd(AN, 10) + "!9", "code"), ("password: {}\n", rnd(AN, 14) + "#", "yaml"),
                ('{{"api_key": "{}"}}', rnd(AN, 32), "json"), ("mysql -u root --password={} app", "Tr0ub4dor&" + rnd(string.digits, 3), "code"),
                ("client_secret = '{}'", rnd(AN + "-_", 28), "code")]:
    add(t.format(v), [("password_assignment", v)], k)

# multi-entity texts
c = luhn_complete("4", 16); e = "p.novak@seznam.cz"; ph = "+420 601 123 456"
add(f"Name: Petr Novak\nEmail: {e}\nPhone: {ph}\nCard: {c}", [("email", e), ("phone", ph), ("credit_card", c)], "prose")
ib = iban("DE", 22); e2 = "finance@acme-corp.io"
add(json.dumps({"contact": e2, "iban": ib, "note": "pay within 14 days"}), [("email", e2), ("iban", ib)], "json")
ghp = "ghp_" + rnd(AN, 36)
add(f"[2024-06-01 08:00:00] user=ops@acme-corp.io token={ghp} src=10.1.2.3", [("email", "ops@acme-corp.io"), ("github_token", ghp), ("ip_address", "10.1.2.3")], "log")
add("Reach Ana at ana.ruiz@correo.es or +34 699 123 456.", [("email", "ana.ruiz@correo.es"), ("phone", "+34 699 123 456")], "prose")

# ---- near-miss negatives ----
neg = []
for c in cards[:10]:
    neg.append(f"card {group(luhn_bad(c), [4,4,4,4]) if len(c)==16 else luhn_bad(c)} was rejected")
for cc, ln in [("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("ES", 24), ("IT", 27), ("BE", 16), ("CH", 21)]:
    neg.append(f"IBAN {spaced(iban_bad(iban(cc, ln)))} (typo, bank rejected it)")
import uuid
for _ in range(5):
    neg.append(f"request_id={uuid.UUID(int=R.getrandbits(128))} status=200")
for _ in range(4):
    neg.append(f"commit {rnd('0123456789abcdef', 40)} fixes the build")
for _ in range(3):
    neg.append(f"sha256: {rnd('0123456789abcdef', 64)}")
neg += ["ISBN 978-3-16-148410-0 is the second edition.", "ISBN-10: 0-306-40615-2", "Book: 9780306406157 (hardcover)",
        "Upgrade to version 1.2.3.4 of the agent.", "numpy==1.26.4, torch 2.3.0.1 build", "Chrome 124.0.6367.91 crashed",
        "Order #4539148803436467 shipped.", "Your order number is 1234-5678-9012-3456.", "Invoice 20240115001 is due.",
        "Tracking: 9400 1000 0000 0000 0000 00", "timestamp 1716239022123 ms", "at 2024-01-15 10:30:00.123456 UTC",
        "2024-01-15T10:30:00Z deploy finished", "The meeting is 10:30:00 on 2024/05/06.",
        "SSN 000-12-3456 is not valid", "test value 666-12-3456", "area 900-12-3456 never issued", "078-05-1120 is the famous wallet SSN",
        "ip 999.1.1.1 is wrong", "see RFC 3.14.15.9265", "use std::vector and a::b here", "MAC 00:1a:2b:3c:4d:5e",
        "password = changeme", "api_key: ${OPENAI_API_KEY}", "password: <your password here>", "token = os.environ['TOKEN']",
        "pip install scikit-learn (sk-learn)", "max_tokens: 4096", "icon@2x.png and logo@3x.jpg", "@types/node@20.11.5",
        "Population 1234567890 in the table", "Product SKU 0612345678", "PIN 1234, zip 94107", "price 4111.11 USD",
        "Error code 0x8007000E", "Reference 12 34 56 78 90 in the ledger", "lat 48.8566, lon 2.3522",
        "AKIA is a prefix AWS uses", "ghp_ tokens are 40 chars long", "Use the eyJ prefix to spot JWTs",
        "-----BEGIN PUBLIC KEY----- is not secret", "the number 4 8 15 16 23 42", "call stack depth 1234567",
        "IBAN format: DE + 20 digits", "page 10-20-30-40"]
for t in neg:
    add(t, [], "near_miss")
import sys
with open(sys.argv[1], "w") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(len(cases), sum(1 for c in cases if not c["entities"]), sum(len(c["entities"]) for c in cases))
