use super::*;
use crate::ast::{Item, Pou};
use crate::test_support::{fixtures, without_spans};

const XSD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/corpora/plcopen/tc6_xml_v201.xsd"
);

/// Validates with libxml2's xmllint against the official schema.
fn validate(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.xml");
    std::fs::write(&path, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", XSD])
        .arg(&path)
        .output()
        .expect("xmllint (Debian package libxml2-utils) is installed by `cargo xtask setup`");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The tree of a POU without positions or members (TC6 2.01 has no methods).
fn shape(p: &Pou) -> String {
    let mut p = p.clone();
    p.members.clear();
    p.extends.clear();
    p.implements.clear();
    p.modifiers.clear();
    // TC6 has one <variable> per name: `a, b : INT` comes back as two declarations.
    for b in &mut p.var_blocks {
        b.vars = b
            .vars
            .iter()
            .flat_map(|d| {
                d.names.iter().map(move |n| crate::ast::VarDecl {
                    names: vec![n.clone()],
                    ..d.clone()
                })
            })
            .collect();
    }
    without_spans(&format!("{p:?}"))
}

fn pous(text: &str) -> Vec<Pou> {
    let p = crate::parse(text);
    assert!(!p.has_errors(), "{text}\n{:#?}", p.diagnostics);
    p.file
        .items
        .into_iter()
        .filter_map(|i| if let Item::Pou(p) = i { Some(*p) } else { None })
        .collect()
}

#[test]
fn every_fixture_exports_to_schema_valid_xml_and_imports_back() {
    assert!(std::path::Path::new(XSD).exists(), "{XSD}");
    for (path, text) in fixtures() {
        let parsed = crate::parse(&text);
        let out = export(&text, &parsed.file, "fixture", "2026-11-29T08:00:00");
        validate(&out.xml).unwrap_or_else(|e| panic!("{path}: {e}\n{}", out.xml));
        let back = import(&out.xml).unwrap_or_else(|e| panic!("{path}: {e}"));
        let reparsed = crate::parse(&back);
        assert!(
            !reparsed.has_errors(),
            "{path}: imported text does not parse:\n{back}\n{:#?}",
            reparsed.diagnostics
        );
        let originals: Vec<Pou> = pous(&text)
            .into_iter()
            .filter(|p| {
                matches!(
                    p.kind,
                    crate::ast::PouKind::Program
                        | crate::ast::PouKind::FunctionBlock
                        | crate::ast::PouKind::Function
                )
            })
            .collect();
        let imported = pous(&back);
        assert_eq!(originals.len(), imported.len(), "{path}");
        for (a, b) in originals.iter().zip(&imported) {
            assert_eq!(
                shape(a),
                shape(b),
                "{path}: {} changed in the round trip\n{back}",
                a.name.name
            );
        }
    }
}

#[test]
fn what_tc6_cannot_carry_is_noted() {
    let text = fixtures()
        .into_iter()
        .find(|(p, _)| p.ends_with("oop.st"))
        .unwrap()
        .1;
    let out = export(
        &text,
        &crate::parse(&text).file,
        "oop",
        "2026-11-29T08:00:00",
    );
    assert!(
        out.notes.iter().any(|n| n.contains("INTERFACE I_Device")),
        "{:#?}",
        out.notes
    );
    assert!(
        out.notes.iter().any(|n| n.contains("FB_Base.Enable")),
        "{:#?}",
        out.notes
    );
}

#[test]
fn bad_xml_is_a_clear_error() {
    for (xml, want, not_xml) in [
        ("<project", "XML", true),
        ("<?xml version=\"1.0\"?><other/>", "no <project>", false),
        ("<project xmlns=\"x\"><types><pous><pou name=\"A\" pouType=\"class\"/></pous></types></project>", "pouType", false),
        ("<project><types><pous><pou name=\"A\" pouType=\"program\"><body><FBD/></body></pou></pous></types></project>", "no ST body", false),
    ] {
        let err = import(xml).unwrap_err();
        assert!(err.to_string().contains(want), "{xml}: {err}");
        assert_eq!(matches!(err, super::ImportError::Xml(_)), not_xml, "{err:?}");
    }
    let deep = format!("<project>{}", "<a>".repeat(10_000));
    assert!(import(&deep).is_err());
}

#[test]
fn twincat_pou_with_method_property_and_action_reads_as_st() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<TcPlcObject Version="1.1.0.1" ProductVersion="3.1.4024.12">
  <POU Name="FB_Valve" Id="{00000000-0000-0000-0000-000000000001}" SpecialFunc="None">
    <Declaration><![CDATA[FUNCTION_BLOCK FB_Valve
VAR_INPUT
    xOpen : BOOL;
END_VAR
VAR_OUTPUT
    xIsOpen : BOOL;
END_VAR
VAR
    nCycles : UDINT;
END_VAR]]></Declaration>
    <Implementation>
      <ST><![CDATA[IF xOpen AND NOT xIsOpen THEN
    nCycles := nCycles + 1;
END_IF
xIsOpen := xOpen;]]></ST>
    </Implementation>
    <Method Name="Reset" Id="{00000000-0000-0000-0000-000000000002}">
      <Declaration><![CDATA[METHOD Reset : BOOL
VAR_INPUT
END_VAR]]></Declaration>
      <Implementation>
        <ST><![CDATA[nCycles := 0;
Reset := TRUE;]]></ST>
      </Implementation>
    </Method>
    <Property Name="Cycles" Id="{00000000-0000-0000-0000-000000000003}">
      <Declaration><![CDATA[PROPERTY Cycles : UDINT]]></Declaration>
      <Get Name="Get" Id="{00000000-0000-0000-0000-000000000004}">
        <Declaration><![CDATA[VAR
END_VAR]]></Declaration>
        <Implementation>
          <ST><![CDATA[Cycles := nCycles;]]></ST>
        </Implementation>
      </Get>
    </Property>
    <Action Name="Close" Id="{00000000-0000-0000-0000-000000000005}">
      <Implementation>
        <ST><![CDATA[xIsOpen := FALSE;]]></ST>
      </Implementation>
    </Action>
  </POU>
</TcPlcObject>"#;
    let st = crate::read_source("FB_Valve.TcPOU", xml.as_bytes()).unwrap();
    let checked = crate::check_text(&st);
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| d.severity != crate::Severity::Error),
        "{st}\n{:#?}",
        checked.diagnostics
    );
    let fb = pous(&st).remove(0);
    assert!(fb.name.is("FB_Valve"));
    let members: Vec<_> = fb
        .members
        .iter()
        .map(|m| (m.kind, m.name.name.clone()))
        .collect();
    assert_eq!(members.len(), 3, "{members:?}");
    assert!(matches!(
        crate::read_source("x.TcPOU", b"<TcPlcObject><DUT/></TcPlcObject>"),
        Err(super::ImportError::Content(m)) if m.contains("no <POU>")
    ));
}
