# The PDU tags (RFC 3416 3, RFC 1157 4.1.6) for the C code: the values of
# snmptrapmgr/codec/pdu.py's PDU_* constants, as compile-time constants.
# tests/test_pdu_constants.py checks that the two lists agree.
cdef enum:
    PDU_GET = 0xA0
    PDU_GETNEXT = 0xA1
    PDU_RESPONSE = 0xA2
    PDU_SET = 0xA3
    PDU_TRAP_V1 = 0xA4
    PDU_GETBULK = 0xA5
    PDU_INFORM = 0xA6
    PDU_TRAP = 0xA7
    PDU_REPORT = 0xA8
