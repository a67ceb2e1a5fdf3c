-- Issuers are compared and stored in one spelling now (auth::normalise_issuer): scheme and host
-- in lower case, no trailing slash. A user stored under another spelling of an http(s) issuer
-- (Auth0's issuers end in '/') is rewritten to it, so the next sign-in finds the same account
-- instead of creating an empty one. A row whose new spelling is taken, or shared with another
-- row (the same person twice under two spellings), is left as it was: nothing is merged by guess.
WITH parts AS (
    SELECT id, subject,
           rtrim(split_part(subject, '|', 1), '/') AS iss,
           substr(subject, strpos(subject, '|')) AS rest
    FROM users
    WHERE subject ~* '^https?://' AND strpos(subject, '|') > 0
), fix AS (
    SELECT id, subject,
           lower(substring(iss FROM '^[^:]+://[^/]*')) || substring(iss FROM '^[^:]+://[^/]*(.*)$')
               || rest AS new_subject
    FROM parts
)
UPDATE users u SET subject = fix.new_subject
FROM fix
WHERE u.id = fix.id
  AND fix.new_subject <> fix.subject
  AND NOT EXISTS (SELECT 1 FROM users x WHERE x.subject = fix.new_subject)
  AND (SELECT count(*) FROM fix g WHERE g.new_subject = fix.new_subject) = 1;
