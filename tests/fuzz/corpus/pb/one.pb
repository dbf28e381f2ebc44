
one*BA single recordzˆ¬¿Â€åšw2
a1Ana*GOV*MIL