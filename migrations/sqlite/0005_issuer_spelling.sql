-- Issuers are compared and stored in one spelling now (auth::normalise_issuer): scheme and host
-- in lower case, no trailing slash. A user stored under another spelling of an http(s) issuer
-- (Auth0's issuers end in '/') is rewritten to it, so the next sign-in finds the same account
-- instead of creating an empty one. A row whose new spelling is taken, or shared with another
-- row (the same person twice under two spellings), is left as it was: nothing is merged by guess.
CREATE TEMP TABLE issuer_fix AS
    SELECT id, subject,
           rtrim(substr(subject, 1, instr(subject, '|') - 1), '/') AS iss,
           substr(subject, instr(subject, '|')) AS rest
    FROM users
    WHERE (subject LIKE 'http://%' OR subject LIKE 'https://%') AND instr(subject, '|') > 0;
-- "scheme://host" in lower case, the path as it was.
UPDATE issuer_fix SET iss = CASE
    WHEN instr(substr(iss, instr(iss, '://') + 3), '/') = 0 THEN lower(iss)
    ELSE lower(substr(iss, 1, instr(iss, '://') + 1 + instr(substr(iss, instr(iss, '://') + 3), '/')))
         || substr(iss, instr(iss, '://') + 2 + instr(substr(iss, instr(iss, '://') + 3), '/'))
END;
UPDATE users SET subject = (SELECT f.iss || f.rest FROM issuer_fix f WHERE f.id = users.id)
WHERE id IN (
    SELECT f.id FROM issuer_fix f
    WHERE f.iss || f.rest <> f.subject
      AND NOT EXISTS (SELECT 1 FROM users u WHERE u.subject = f.iss || f.rest)
      AND (SELECT count(*) FROM issuer_fix g WHERE g.iss || g.rest = f.iss || f.rest) = 1
);
DROP TABLE issuer_fix;
