//! Times the full initial-node generation (4 keys + 4 certificates + both PKCS#12 + PEM) for
//! every key type, next to the `openssl` CLI doing the same work in the same run.
//!
//! Run: `cargo run --release -p esac-pki --example bench_generate [RUNS]` (default 3 runs per
//! key type; the median is reported). The openssl side runs the commands a shell script would:
//! `genpkey` ×4, `req -x509` for the CAs, `req | x509 -req` for the leaves, `pkcs12 -export` ×2.
//! It cannot put two key entries in one PKCS#12 nor mark a trusted entry (OpenSSL 3.0), so its
//! `http.p12` holds one key: it does slightly less work than esac-pki.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use esac_certspec::{CertParams, CertPlan, KeyType, SanInputs};
use esac_pki::{generate, new_store_password, AwsLcKeySource};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(3);

    let t = Instant::now();
    let mut probe = [0u8; 1];
    aws_lc_rs::rand::fill(&mut probe).map_err(|_| "rng")?;
    println!(
        "aws-lc-rs first use (init + entropy seeding): {:.1} ms",
        ms(t.elapsed())
    );

    let params = |key_type| CertParams {
        node_name: "node-1".to_owned(),
        san: SanInputs {
            interface_addresses: vec!["127.0.0.1"
                .parse()
                .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into())],
            hostname: "bench-host".to_owned(),
            publish_hosts: Vec::new(),
        },
        key_type,
    };
    println!("{runs} runs per key type, median [min–max], release build, 2 cores\n");
    println!("| key type | esac-pki (parallel keygen) | openssl CLI (sequential) |");
    println!("|---|---|---|");
    for kt in KeyType::ALL {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let now = SystemTime::now();
            let m = generate(&CertPlan::initial(&params(kt), now), &AwsLcKeySource, now)?;
            let (p1, p2) = (new_store_password()?, new_store_password()?);
            let bytes =
                m.http_p12(&p1)?.len() + m.transport_p12(&p2)?.len() + m.http_ca_pem().len();
            ours.push(t.elapsed());
            assert!(bytes > 0);

            let dir = tempfile::tempdir()?;
            let t = Instant::now();
            openssl_equivalent(kt, dir.path())?;
            theirs.push(t.elapsed());
        }
        println!(
            "| {kt} | {} | {} |",
            summary(&mut ours),
            summary(&mut theirs)
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(v: &mut [Duration]) -> String {
    v.sort();
    format!(
        "{:.0} ms [{:.0}–{:.0}]",
        ms(v[v.len() / 2]),
        ms(v[0]),
        ms(v[v.len() - 1])
    )
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("PW", "bench-password-1234567")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("openssl {args:?} failed: {status}").into())
    }
}

fn openssl_equivalent(kt: KeyType, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let keyopts: Vec<&str> = match kt {
        KeyType::Rsa2048 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeyType::Rsa3072 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        KeyType::Rsa4096 => vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        KeyType::EcdsaP256 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeyType::EcdsaP384 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    };
    let digest = if kt == KeyType::EcdsaP384 {
        "-sha384"
    } else {
        "-sha256"
    };
    for name in ["tca", "t", "hca", "h"] {
        let out = format!("{name}.key");
        let mut args = vec!["genpkey"];
        args.extend(&keyopts);
        args.extend(["-out", &out]);
        openssl(dir, &args)?;
    }
    std::fs::write(
        dir.join("ext.cnf"),
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
         [http]\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:bench-host\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n\
         [transport]\nbasicConstraints=CA:FALSE\n",
    )?;
    for (key, cn, days) in [
        (
            "tca",
            "Elasticsearch security auto-configuration transport CA",
            "36135",
        ),
        (
            "hca",
            "Elasticsearch security auto-configuration HTTP CA",
            "1095",
        ),
    ] {
        let subj = format!("/CN={cn}");
        let (k, o) = (format!("{key}.key"), format!("{key}.pem"));
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &k,
                "-subj",
                &subj,
                "-days",
                days,
                digest,
                "-config",
                "/dev/null",
                "-extensions",
                "ca",
                "-extfile",
                "ext.cnf",
                "-out",
                &o,
            ],
        )
        .or_else(|_| {
            openssl(
                dir,
                &[
                    "req",
                    "-x509",
                    "-new",
                    "-key",
                    &k,
                    "-subj",
                    &subj,
                    "-days",
                    days,
                    digest,
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                    "-out",
                    &o,
                ],
            )
        })?;
    }
    for (key, ca, days, section) in [
        ("t", "tca", "36135", "transport"),
        ("h", "hca", "730", "http"),
    ] {
        let (k, csr, o) = (
            format!("{key}.key"),
            format!("{key}.csr"),
            format!("{key}.pem"),
        );
        let (cacert, cakey) = (format!("{ca}.pem"), format!("{ca}.key"));
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-key",
                &k,
                "-subj",
                "/CN=node-1",
                "-out",
                &csr,
            ],
        )?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &cacert,
                "-CAkey",
                &cakey,
                "-CAcreateserial",
                "-days",
                days,
                digest,
                "-extfile",
                "ext.cnf",
                "-extensions",
                section,
                "-out",
                &o,
            ],
        )?;
    }
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "t.key",
            "-in",
            "t.pem",
            "-certfile",
            "tca.pem",
            "-name",
            "transport",
            "-passout",
            "env:PW",
            "-out",
            "transport.p12",
        ],
    )?;
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "h.key",
            "-in",
            "h.pem",
            "-certfile",
            "hca.pem",
            "-name",
            "http",
            "-passout",
            "env:PW",
            "-out",
            "http.p12",
        ],
    )?;
    Ok(())
}
