/* replaced by the codec sources */ typedef int nines_wire_placeholder_t;
