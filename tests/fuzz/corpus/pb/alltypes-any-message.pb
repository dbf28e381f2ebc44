º2
%type.googleapis.com/evrec.test.Nested	x