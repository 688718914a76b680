complete mfa-env 'p@*@`env MFA_ENV_COMPLETE=tcsh mfa-env -- tcsh`@';
