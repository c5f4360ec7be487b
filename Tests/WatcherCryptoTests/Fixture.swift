/// Key material for the tests, made once with the `openssl` commands named on each constant and pasted here so
/// every run sees the same bytes.
enum Fixture {
    /// The wechatpay-go signer test key, a public test vector.
    static let referencePKCS8 = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
        fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
        6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
        FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
        0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
        3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
        LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
        OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
        C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
        0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
        +cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
        gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
        AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
        hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
        6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
        WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
        D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
        aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
        ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
        YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
        BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
        EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
        Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
        +RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
        jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
        BDa+8mDLkWu5nHEhOxy2JJZl
        -----END PRIVATE KEY-----
        """

    /// `openssl pkey -in reference.pem -traditional`: the same key as PKCS#1.
    static let referencePKCS1 = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEpAIBAAKCAQEA2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pl
        dE806mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiL
        Gtjcquw4HNxJQUOmDeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyC
        NeDGUUK65E5h2B834uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5zns
        evnoqGRwTm9fxCGfy8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd
        8N0obCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT8wIDAQABAoIBAQDHO6w3lGl4lr+m
        zBm2dwU16YNRYXXXZ1lJ2BPB31/5JjhSO17QR13IGBaXI2M+A+e/O6XLJO3sz4nQ
        I+fM6np7nJZoyp1Jk96X2yOXggNr+AvR522A65lDytWXAA7ZGuA+knA3HKTWDWtY
        NkxR85CKxGuh/qu0tztn6sWPw0VbTdCSF2pQW/HWmqi+UFc0pjNgTFZx8vmCEyVi
        JD9mt6SrPQtFuuSRg7JxtMFax4pxxfnJ4RWSG2jxCP/wwBTHPTZK1jilUUxIHAlM
        QhWhzmVTcQ1mQ+wNmXyQdqyunoP/8oBIhQ0doepk2g6MDAeGBdp9nbCDuP3QhvLz
        xyNtI5+BAoGBAP2RrupRDJTtF2Z2pgGRrYjYC3AnzPwtmREWRO0E0T2R9VnSvdgJ
        fZ3ZXbLMBcOG2iaySwpoIYxf4huM4oYQby5zi5LJ2VH43bpsaBw1l6NkAVmyOULF
        iBOwLk4loFo9SO1+Hwl0kH+ovjP8tuk6IEO3dADaWRcjpEzTJ/7YibyxAoGBANtl
        6pWphv8nwBlnq8uSjR9gxpUyMnesSVrSfY941PfZWdGwkOcYYgW1PSJsQot84E7K
        Ki1oAP6dNB4TRTaFHE5faH3NBt88Ew9ctGc3J1SsRiXWeqIVudldISUrQIoLY2AL
        FII5u//xR+z4kAwQz9VmusUkZA0FP2km0MbxBPPjAoGBAN22/JK1u6KcjNFy/URx
        9KKrBZVTt9DoreZa6nm0tKB5d2bK9mRoKAZVgbBM5N1KlIUxcJvw4SS00if00D0Z
        MZ4UOf5nsDYUvQu8rmu8EJM1ZljflWHlBk7wxgxeqg89dv7yQIEsAw0cpvMeDXFw
        +bU8O5pjUXMCHy9tkpMrE4SBAoGAFQYHHKBKF1kvxz9v7un0K/WSEenlfCI+RT22
        WnExty5UtQs+V2a2veVIHmxRVBx7QhGNSRyWO8/Elr0x/K90ru3ljWiAKBQRn386
        qklWs35ummGbDr0WOgX6jx096fx9YU6ugGwX38a3JbYL15wkzkYxz4JVNAo0sVbO
        2sFtwBECgYAeVrWgvFS0TjO65H1SKvkV6hOb7SX2t3tze1t0asSqeMxxQD36/NhS
        uQl9m6aRGsWO0hGVb1SJyg3OYCnRv41jUQZr737WYWOfTyCxztl+bzuBV4e7LhI8
        ulSIdILJyt+ppkW6GCARrDbgx41y3gQ2vvJgy5FruZxxITsctiSWZQ==
        -----END RSA PRIVATE KEY-----
        """

    /// `openssl pkey -in reference.pem -pubout`: its public key as SubjectPublicKeyInfo.
    static let referenceSPKI = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2VCTd91fnUn73Xy9DLvt
        /V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+
        U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOmDeJf2vg6byms9RUipiq4
        SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B834uxl1zNLYQCrkdBzb8oU
        xwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGfy8wus7hwKz6clt3Whmmd
        a7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT
        8wIDAQAB
        -----END PUBLIC KEY-----
        """

    /// `openssl rsa -in reference.pem -RSAPublicKey_out`: its public key as PKCS#1.
    static let referencePKCS1Public = """
        -----BEGIN RSA PUBLIC KEY-----
        MIIBCgKCAQEA2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pldE80
        6mXO4RwdHXagHQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiLGtjc
        quw4HNxJQUOmDeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDG
        UUK65E5h2B834uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5znsevno
        qGRwTm9fxCGfy8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd8N0o
        bCWJPCbzMCtkaSef4FdEEgEXJiw0VAJT8wIDAQAB
        -----END RSA PUBLIC KEY-----
        """

    /// `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=t -days 1 -keyout /dev/null`.
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIC+TCCAeGgAwIBAgIUMMuYOTg8Qis3Sh6xtDX0l2wwP8gwDQYJKoZIhvcNAQEL
        BQAwDDEKMAgGA1UEAwwBdDAeFw0yNjExMjMwNDM2NDZaFw0yNjExMjQwNDM2NDZa
        MAwxCjAIBgNVBAMMAXQwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCb
        WeOkrWWcGu0awxXv2b2yO72nQ4yPEx9WzusBF4ttIl34zNSDIjdC/mH5bCKdJUjm
        NiEVGdGDiXln7I7fc1T2/JEV3h7XCkIJiii6AQV7NEFiJ1t4D/Yztm2rtem1AyeE
        F7/u1eiNA/GboIeGzvi7wCO8crnS3ybxOt2k94cfVnKHbY8sU7EUV955ICrvO7YB
        2HusrA7au/O3tQN59FjA2E9nr5uBM2wwng7IlxqBsk1ETQoZxR/CA1PKQ5968VX2
        HrwE1V9RBXxyaCq6NrcgX92CZG6g5IYkPrEWLwmWv/wwORZwLqHF+jCNZFsYZdKQ
        +PHNfoYIyEUWcvt81pGBAgMBAAGjUzBRMB0GA1UdDgQWBBRFG7Igb2SlJPRU3i+J
        w+KNT45R6DAfBgNVHSMEGDAWgBRFG7Igb2SlJPRU3i+Jw+KNT45R6DAPBgNVHRMB
        Af8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQAvfpp0/feMGzQx6e5hjKVbu//U
        TkChubZnED7WIYDHxhyHld6yo/ackIz8K3iGauaFYmqzOTehYMhKTAD8Z4lYchqW
        wjZltIFRPxoTManHPdgAaEoSc6dAqUF5bbEXwzDz9NzT98KPrGrWKWns8cjR6wlg
        Hz2YeLP7DChkXC7uu5bFlsWWIfhtkjOe1RRLFfib9jrEaDyRebgx29Ga9jSyGX5r
        2ehwwDAgdLP2HGe7m3rE5zHg/O7TQa2cHRY78yZSvMRGY/93l3RglCn94tA4nCmA
        ekBVFWe55GVU9bAPRE0IJMYfpD6BxDRGEawYUdABBrlvWJ7lqtagHINLJNHr
        -----END CERTIFICATE-----
        """

    /// `openssl pkey -in reference.pem -aes256 -passout pass:x`.
    static let encryptedPKCS8 = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIIFLTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIYwG1ySP61dACAggA
        MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBA9+4qKXFQplWtlNvA8nuTUBIIE
        0NXuLdbEsDdYEApniZp6Lnu9xsWRen4F97StwKSyg75KDcwkFMHcoXqfrlZO3x+f
        t4KE28kNepxgjhunU2W+bHH+DONgGal4xO6Zmjtr+9LEqPU4alzSjglyp6tZt/jY
        PvoarzMwMKywJR66qHHgOVUK4qu2QgTXynLh/tXojiqEh9CQCYgAz2mFv9khecvp
        PFvpsFZJfCxSoFvgSa1ODONMPkVLx8pZZLM2MPwREmeKhNOCRR06l/vAed7Qtvfy
        djz3hh3pRLmGGbqDZmdrVQHZ94wXUCtUSSc5XXw2DBa+ibv2l7Uo9L6JP/K9PzCr
        xPJsvPSjNP8vZBtpRsFkycGfazUXbxCcnTi2x+ZjOrHCjXYWhaBQcwSvaAlYMF0J
        fRGyY0dAA9sD4au6fzBlaivl0i539Yxboxj4lxoHj00eDHzkCfIfhT3nuf3qWGpR
        ZdXzMsbyUbWvtqqTbokaOC1d/hzocoDiDZwPM7QYYW92dbTmzbsa76tJVfZCfkPq
        FZGP+MeFV2AMma2XMFsLa+vxpl+phdxTLxVliUGSBQqSKNYgQ21kMT1EZwKGhkUU
        +QI2PRVCBOl/JIbHvZRRYspWCwDdshs8WZJ3V1UcFxDeGN/RO+uhqX+KXUqiTwjf
        rrneuxfEgLoryagt2aelVTTcSQaCFQ7SXCmngfLejR+MgcseY1/uP1iw2/rhtNsG
        jhnQiRjaeWwxuM7A4gF5iWCxZuhHUU0MyPWVtPqWPHfAkJ/m/LxetT8NaM8CYDDR
        qs2GQomG25leG6w6zOq9zQ7zxCim77q3d1mU0RibqSgoFtJkgrosWse/PrQssEga
        a4ieFt23Ory+TJLypmA1LMjQs0OXVNJZECr9UbchzN0YknMsdWOkZhiBBJY4/ZtC
        Ws10e6cKQSJuxLzDEeZJKQ6ewDP4OPq0B4J2d5mPP+uRQpr9EGvYWdMkTGYjVJQW
        yIWwR7NVdUBxb/PoqX/5MtgE8b2bUp0LUQMk5vskx0i38EFrxFvUhj66pjqvtYTG
        vr8MhN/XgReLFOQm+Vtf1Jfl+3MVEJ/KNZfQEFkHeQ/caFBsthiszaFSwHNAe4l7
        wZOI9Tuu4dBnUj+yRxqhNpllRbdKU6JkitF8w1COV49jcY2MVeRXPdzrOI6sozMo
        krozA4KiDTkDCLzJUH/K4yKcc6JLH/LID0fFzvaVxJG83IkP1c6POYNhpsTYT+pM
        xxBxerQ6sOwUbjVg8o8lHmeLlYjH0wy8gOSzjdwDwsILhu7rW64SmFMXFs8mHbZn
        OBjYl5M79qMzybCMXk4CZ22O5DjhE9NSFjYN0kBDQ311NtP4TuvFpLGdJLzCChiK
        O7quzbxZA3eLT2NjxynAiH5XXzd3sdCTEw9V9Q6sV/QReb7eynGsdEREpj7bxCMN
        9a2J4S1YnTF2VM7YU0afPDSR+jFk0iu+eOAh33kVPu2RMLzfX+FBbXpZYaKlPuvr
        x3PVrYGREGSqKD9YeZI7gV7bSK+dJGsyMVRsY395FtHf2TDa11zWjTFs6JbEkOXA
        RCn3klExc7aVorq58ArDk1FgtkpTWiQG69z8EOHLQAA5b5s5fiWtraOeK+AjStwZ
        g8aYwhqOwJkHEGknkdWGLJuVIO+tClFity40U485G/vi
        -----END ENCRYPTED PRIVATE KEY-----
        """

    /// `openssl rsa -in reference.pem -traditional -aes256 -passout pass:x`: PKCS#1 with Proc-Type.
    static let encryptedPKCS1 = """
        -----BEGIN RSA PRIVATE KEY-----
        Proc-Type: 4,ENCRYPTED
        DEK-Info: AES-256-CBC,255008B35E38015C0F8D80030B8357AB

        Jxld7sw7476nQh48BkJsd36BfXGKdfxg1bruXxiC8VMkh6mSW2yS5quI9wkPTp9+
        2ek6ETlwH7bqZMT+Dgpnzm75R6AZCmS30pnR0kdDvujScXUkPPk4BizrfWQ4m1Wd
        132VjN/CHKdg5wQAyhly66M8i53uQdniSl/0851Es8q5DHKzOi3NockOOCtRAcgU
        5nvEde5ROA2VAhtYQJqRD3GRvGJfS/i9210HzWKJs4i0479KbBrd9g+QPnpLZd+f
        a+8eVQSopsafKcW34g1e31Yv8A5OO3mcwVuA515qgjz/2hIgsKiQE0XKI8ePRgTi
        aWQVGhlcLM3+Oz3HwSn9qOVSgbBP47PpPbhfJDKHN14Sv3TSa7VxD0LlsWd+pAYy
        0rbOUNEu400B128L+oAJqpkzBhnkCsc9mAXvPNxaCaeX69R9sm/h5WOGcEwcoK5N
        gzoJBBjIdPZ8P/nAnPr4D4HBr42gS0lWhOx6Pmr7yT6OcNsPvRe2mEvBEn6usXfI
        kfpdmS0gw5EEvkpVMsnISr7w1HaW68zVYCuygARaULPh2x5Cua/SHRxYvoA7C1OW
        R60773iD6+wdxwIGJRv/M8zqU//G83uQSxu3nZZ0mdVO8fWCliy4FoPlJLxhNtGy
        oSHUJ2JFq7djfePiD+yRwbljO1FDRBlaXteduNMy+u+VQYzt+aIUBPYCuoeWOwPy
        oeKmCX1P8mSSHAbQTjoKo4+1qP51I9ZGUz3FVJHtENRUx9Sb33buk2Q+4WYsTBEH
        Vt98R/sb03e+Wxj9MsuRl5vuK+ZkrWaE0fFlQmIUoiG1hD6xoh1vp4RYZkgBMktO
        f26QO0Q/p4ALUYuyUgKr6C/bUtwW7RCh5rNyaweeipE361Rqa2QtsCc9RoOKwqmD
        IL/0BYGnCUgG9IlLbnctZ/PFCKGs48NzoyBZyL8/9mJrN28BjTfLZfAfx8KrUQfU
        JZbys1dTMLBt/+lVPgPt6ZmHU0epTmgbZkmt/y3QxOfLGTXBkZpcyYZoPSzz0nG9
        CGSysIFrM1ORF3rSjskROBYukKYxrj1uylIxgwFqHWUwB0PA/dlFEf/zzMktJ1UL
        psUCQBoxCNAuPH3blTBDHNhmpBqdcks4N91THpn64jsUCO7rWSS3nLJfLqULnqgF
        MflLLVgx+itQAnpKw5/ra8VzrwPSN9Ez0mVyM63lq+BZDeJm50cxsqQTjAyLfDSv
        wNJ5EF2eUOXmQrBg2eHSC+hD0CmPGXD+XHxOCNu7DXL2+sZHFUwrwlrtzYGIg8WO
        swyY9dTj2m8lKiVyX0xDM7Kam6IF+av948Kqo3L/JHEyft53Unp+YzJAJA1emNwQ
        F4WnZXy3jN2BzY0QQanQsdy+dN9GCVyQIVyqs730yTE9J9puzFxypuv51VGFBZzs
        AwPWyhwhgQMECZ3d9OakR78ALFD6n52GjkPFpJV4Wos84UgYEp/W0APvBVEycSd1
        7ATLZbw5+GQaKoNnBoX3WB/ICf/haFvn+sLrOEYQKH5bfQXdoKmix+B1Hgh1F6aP
        39McyhI58ztArDSNxFhQdwYDEIWFGa7hZpMR04O5sFoLb9ljciThnDyOnxJyTh5r
        -----END RSA PRIVATE KEY-----
        """

    /// `openssl ec` of a P-256 key from `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`.
    static let ecPrivateKey = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIGaY1CCompAH8u7/eNMJaKike6ZehwWnMjlerIjmjHZwoAoGCCqGSM49
        AwEHoUQDQgAEG2tYHRdd8MNN7KKwNtnDyQyL/xhSJ/9sO3P3kOftuzZAnqTAe+lz
        hYvBSEpFmbtTRcVQdHgXzp/LPfe5w8cK9Q==
        -----END EC PRIVATE KEY-----
        """

    /// That P-256 key as PKCS#8, as `openssl genpkey` writes it.
    static let ecPKCS8 = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZpjUIKiakAfy7v94
        0wloqKR7pl6HBacyOV6siOaMdnChRANCAAQba1gdF13ww03sorA22cPJDIv/GFIn
        /2w7c/eQ5+27NkCepMB76XOFi8FISkWZu1NFxVB0eBfOn8s997nDxwr1
        -----END PRIVATE KEY-----
        """

    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`: too small.
    static let rsa1024PKCS8 = """
        -----BEGIN PRIVATE KEY-----
        MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAKv8CsjvWRr6EGDq
        AryBH0+2jXZvE5D7dbS1gVcJoAHxx6V59mf0YEwa9KqfWbnJyMfvRx0BZHR4SuSv
        Ujc+lN9w6NcdXYHAwtB7fDpJ9wcaiT+mu+uSaIDtTXh9Fadts7ogHbRThAiW9HjL
        noxTkaNSaHKX6N6RZUM2arhwBK1VAgMBAAECgYB2GzoUzzmz6vKAe3OxnEKybT0s
        jg8zy1wD43mVGgkGDNH784uhzBKtcP2AhroJemcl1k5RvvkLeuiDr1qYkaONxVaD
        vis7JtUpFWw5u8faCOBvxp2HjlEo4SCDdIbgrP8yWDRKC/KlkwiNMNCw7V19RtoH
        5FG2nQ0uN0M3SzoSqQJBAOMQwmoTrjrDb3Trit1t1VosyA+kaIT2PXpGmPrb7qf0
        XmRqWtv6G30e4LYGs3P7lfhpSoAmE0iPVZvXdZYOpUcCQQDB5nRNdDTqTN/j8JSf
        GCkuUksF/diaVlbd8cRNWMLACY7cjTb+2v8CS9Cd2OjSlKkdBh1aBLypYxyYvErK
        HhaDAkEApp7WuvZkJJTjBd4OEXyWUcyIpgnT9LWo2UBS48pdr3t/hJoSwFcgssjk
        xk3Wg2Z7X0UMOUs3XUho3qnVjF6E4wJBAK/92Dok65JuTBi72Gm+qEIe93Fswhjz
        nMy+EAqUMc/T3RNaKTyQ0TzoS2W55zibLhPl5OY7vnGQP/hxjwB85rkCQHIPlB3q
        zs7wlIprDNufeZKi9t3SUSt8BNXcwq3G9deGQhtzMULEgMFfK2L7Tr1shMjnuFwI
        qpl2mDkg87QXJbw=
        -----END PRIVATE KEY-----
        """

    /// `openssl pkey -in rsa1024.pem -pubout`: too small.
    static let rsa1024SPKI = """
        -----BEGIN PUBLIC KEY-----
        MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCr/ArI71ka+hBg6gK8gR9Pto12
        bxOQ+3W0tYFXCaAB8celefZn9GBMGvSqn1m5ycjH70cdAWR0eErkr1I3PpTfcOjX
        HV2BwMLQe3w6SfcHGok/prvrkmiA7U14fRWnbbO6IB20U4QIlvR4y56MU5GjUmhy
        l+jekWVDNmq4cAStVQIDAQAB
        -----END PUBLIC KEY-----
        """

    /// `openssl pkcs12 -export -passout pass: -inkey ec.pem -in eccert.pem`, Base64 in 76-character lines.
    static let pkcs12Base64 = """
        MIID/AIBAzCCA7IGCSqGSIb3DQEHAaCCA6MEggOfMIIDmzCCAlIGCSqGSIb3DQEHBqCCAkMwggI/
        AgEAMIICOAYJKoZIhvcNAQcBMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAg/nlU4HfbP
        nQICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEIbE0bwy11cNO9DPBfHC3zKAggHQX7ZX
        V6Uv6bEvppZ4E9LkgG2EXWoBcjSEmRYh88TmvrWlUaAS4nGwR76IhH/FJnYvYn4VUVtEJGT/NPIt
        8LnwYiKeTYia2fUyV7dAdon47oBtztWqK/N6pPSFL/xpJLo4SEfiSpvo25k2NqsvJiPh7Wx5SHzo
        BPXieOb2rMBeU2897Q97oFxbsL175BgBUlgcTwwwg7xQ9QIELckneRwYRatw8bE2GM3eb7rLJKSz
        wbSVfsl7ElNkKiHtOW7+Qc9o2/XntHV6Zma3tWyQt4Cn27GWR3K71X0d66OolqYbH+vDtzKnq20W
        IytcZlE1bhIPTB1Sb4DNr8UKiYrkbBfJouId3hMe+IxmNkc6qlxYsAizrR82Pa5IXAj2H1Gy9C2M
        CFrJZrBgeLGowQAU6wKx15GH3gDnVHKo5BfsrkQ9uwdCn56XS5HdSpQyPO3G+uD3AHXmWklJ9T2z
        UB/DEED+mIr7DZigPk+e0wpTA+clwq+cPK83e8kkWCWH051jVJKSnJV+UJz5M6BbtTi69YheOQyT
        dBrrMiDlUMnjON0yeLgPr3xiyzScfepqwQyUAoW31eL0ss0F+MuMBBdLALZQ5ASIL/6DBunzr7+S
        hbt9LKQwggFBBgkqhkiG9w0BBwGgggEyBIIBLjCCASowggEmBgsqhkiG9w0BDAoBAqCB7zCB7DBX
        BgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIwRSgTmLiICkCAggAMAwGCCqGSIb3DQIJBQAw
        HQYJYIZIAWUDBAEqBBCz389n9/ngFVS79mtglptqBIGQ3wGFByeeVU21IcTpppCorDDm5dJImnvb
        RiP63ruSbiIr7hYX1qo8f5IAus5osvEMYWPYeKi+dGWZrTkUmCZhyr7O8MRSOqcYtDU5szgec1CH
        S4qlYIasQRxumFaD2Ivwqbap+g5h4iNAZzcMM+gckxDUPVT7F5VQVwMN86rbpdI0ZqxyhX1rs6H9
        5OI7z/UtMSUwIwYJKoZIhvcNAQkVMRYEFDc/EqtnSZWO5bhSlHr3whL+4y57MEEwMTANBglghkgB
        ZQMEAgEFAAQgZjAmdItXH9JyJiY/Rscmzm+cSZQm5ToTua43JXxqsRoECPpINu2UqfXQAgIIAA==
        """
}
