# Hallmark's pages and images in English. Every message here must also be in de.ftl
# (a test of hallmark-web checks it). Arguments are escaped where they are rendered.

site-title = Hallmark
lang-name = English
lang-switch = Language
skip-to-content = Skip to content
nav-directory = Partner directory
nav-program = Program
nav-verify = Verify a badge
footer-about = Verified with Hallmark: signed badges (W3C Verifiable Credentials 2.0, Open Badges 3.0) that anyone can check.

## The states of a badge, in words (never colour alone).
state-valid = Valid
state-expired = Expired
state-not-yet-valid = Not yet valid
state-suspended = Suspended
state-revoked = Revoked
state-invalid = Not valid
state-unknown = Cannot verify
state-valid-lead = This badge is genuine and current.
state-expired-lead = This badge was genuine but has expired.
state-not-yet-valid-lead = This badge is genuine but not valid yet.
state-suspended-lead = The issuer has suspended this badge.
state-revoked-lead = The issuer has revoked this badge.
state-invalid-lead = This badge failed its checks: it may have been altered, or was not issued by whom it names.
state-unknown-lead = This badge could not be checked completely right now. Do not rely on it until it can.
state-untrusted-lead = This badge is signed as stated, but its issuer, { $issuer }, is not one this service trusts.
state-unvouched = This service has no list of trusted issuers: anyone can sign a badge under any name. Check that { $issuer } is who you expect (its domain or key is below).

## The verify page.
verify-title = { $partner } — { $tier }
verify-holds = { $partner } holds { $tier }
verify-partner = Partner
verify-tier = Tier
verify-role = Role
verify-competencies = Competencies
verify-issuer = Issued by
verify-issuer-domain = Domain: { $domain }
verify-issuer-key-only = This issuer is identified only by a key (did:key), not by a web domain: check that you trust this key.
verify-issued = Issued
verify-expires = Expires
verify-expired-on = Expired
verify-expiry-date = Expiry date
verify-days-left = { $days ->
    [one] { $days } day left
   *[other] { $days } days left
}
verify-reason = Reason: { $reason }
verify-successor = A newer badge replaces this one: { $link }
verify-unnamed = (no name)
check-other = Other check
verify-successor-link = see the current badge
verify-checked-at = Checked { $at }
verify-details = Every check
verify-check = Check
verify-outcome = Outcome
verify-detail = Detail
verify-raw = The badge as signed (JSON)
verify-command = Check it yourself with the command line:
verify-embed = Show this badge on your website
verify-embed-help = Paste this snippet into your page. The image always shows the badge's current state and links here.
verify-linkedin = Add to LinkedIn profile
verify-downloads = Downloads
verify-qr = QR code (SVG)
verify-qr-png = QR code (PNG)
verify-baked-png = Badge image with the credential inside (PNG)
verify-baked-svg = Badge image with the credential inside (SVG)

check-parse = Format
check-proof = Signature
check-issuer = Issuer key
check-trust = Trusted issuer
check-validity = Validity dates
check-status = Revocation and suspension
check-holder = Holder
check-challenge = Challenge
outcome-passed = Passed
outcome-failed = Failed
outcome-unknown = Could not tell
outcome-warning = Warning
outcome-skipped = Skipped

## The embed image.
embed-alt = { $partner }: { $tier }. Verify this badge.

## Months, for dates in words.
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Errors as pages.
error-title = Something is wrong
error-not-found = There is no such page.

## The paste page (verify any badge).
paste-title = Verify a badge
paste-lead = Check any Open Badges 3.0 or Verifiable Credential badge: its signature, its issuer, its dates, and whether it has been revoked or suspended.
paste-json = Paste the badge
paste-json-label = The badge's JSON
paste-upload = Upload a file
paste-upload-label = A badge file: JSON, or a badge image with the credential inside (PNG or SVG)
paste-upload-help = Up to { $kib } KB.
paste-url = Give its address
paste-url-label = The badge's URL (https)
paste-submit = Verify
paste-again = Verify another badge
paste-error-empty = Nothing was given: paste a badge, choose a file or enter a URL.
paste-error-fetch = The badge could not be fetched: { $why }
paste-error-presentation = This is a presentation, not a single badge: send it to the presentation endpoint (POST /presentations/verify).
paste-error-image = This image holds no badge: { $why }
paste-error-too-large = This is larger than the { $kib } KB this service accepts.
paste-error-busy = The service is busy right now; try again in a moment.

## directory and program pages
directory-title = Partner directory
directory-lead = Certified partners of the program, with their current badges. Each badge links to its verify page.
directory-name = Partner name contains
directory-tier = Tier
directory-role = Role
directory-competency = Competency
directory-any = Any
directory-all = Include expired, suspended and revoked badges
directory-search = Search
directory-results = Partners
directory-none = No listed partner matches this search.
directory-valid-until = valid until { $date }
directory-verify = Verify the { $tier } badge
directory-pages = Pages
directory-next = Next page
program-issuer = Issued by
program-issuer-name = Name
program-issuer-id = Identifier (DID)
program-issuer-url = Website
program-framework = Competency framework
program-tiers = Tiers
program-roles = Roles
program-competencies = Competencies
tier-criteria = Criteria
tier-criteria-signed = As the program states them, and as every badge of this tier carries them (criteria.narrative):
tier-exam = Exam
tier-exam-score = at least { $score }%
tier-demo = Live demo, at least
tier-references = Validated customer references
tier-validity = Valid for
tier-validity-days = { $days } days
tier-competencies = Required competencies
tier-no-competencies = No particular competency is required.
tier-benefits = Benefits
competency-code = Code
competency-tiers = Tiers that require it
competency-no-tiers = No tier requires it.
home-lead = Look up certified partners, read what each tier requires, or check a badge you were given.
home-directory = Find a certified partner
home-program = The program: tiers and competencies
home-verify = Verify a badge
home-back = Back to the start page

## A badge's life: the public reason (its "message" status), renewal on the tier page
tier-grace = Renewable after expiry
tier-grace-days = for { $days } days
tier-renewal = A renewal requires
public-message-superseded = superseded by a newer badge
public-message-lapsed = lapsed (not renewed in time)
public-message-withdrawn = withdrawn by the program
public-message-under-review = under review by the program

## specializations
program-specializations = Specializations
specialization-min-tier = Requires the tier
specialization-roles = Open to the roles
# The embed component (issue 16), on the verify page's embed section.
verify-embed-component = Optional, for sites that allow scripts: wrap the snippet in a <hallmark-badge> element and load /assets/hallmark-badge.js from this site (a module script); the badge then also shows its state as verified in the visitor's browser. Without scripts the snippet shows as it is.


## The in-browser check on the verify page (issue 16)
browser-heading = Checked again in your browser
browser-running = Checking this badge in your browser…
browser-agrees = Verified in your browser: { $state }
browser-agrees-detail = Your browser ran the same checks itself (build { $build }, { $ms } ms) and agrees with the server.
browser-disagrees = Your browser's check disagrees with the server: it finds this badge { $state }
browser-disagrees-detail = The server says { $server }. Your browser (build { $build }) found what the table below shows; do not rely on this badge until the two agree.
browser-failed = The check in your browser could not run; the verdict above is the server's.
