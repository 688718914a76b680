complete mfa-env 'p@*@`env COMPLETE=tcsh mfa-env -- tcsh`@';
