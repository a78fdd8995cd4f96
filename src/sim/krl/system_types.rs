//! The controller's own STRUC and ENUM types: what a KSS 8.x `$operate.dat`, `$config.dat` and
//! the KRL message library give every program, written here in KRL and parsed like any data
//! list.

use std::sync::OnceLock;

use super::ast::TypeDecl;

/// The types in KRL. Member lists are those of KSS 8.3 (KUKA.SystemSoftware documentation of
/// the message system and the CREAD/CWRITE and motion types).
const SYSTEM_TYPES: &str = "DEFDAT SYSTEM_TYPES PUBLIC
  GLOBAL ENUM ORI_TYPE CONSTANT,VAR,JOINT
  GLOBAL ENUM CIRC_TYPE BASE,PATH
  GLOBAL ENUM IPO_MODE BASE,TCP
  GLOBAL ENUM APO_MODE_T CPTP,CDIS
  GLOBAL ENUM IPO_M_T NONE,TCP,BASE
  GLOBAL ENUM BAS_COMMAND INITMOV,ACC_CP,ACC_PTP,VEL_CP,VEL_PTP,TOOL,BASE,EX_BASE,PTP_DAT,LIN_DAT,CP_DAT,PTP_PARAMS,CP_PARAMS,FRAMES,GRIPPER,OUT_SYNC
  GLOBAL ENUM EKRLMSGTYPE NOTIFY,STATE,QUIT,WAITING,DIALOG
  GLOBAL ENUM KRLMSGPARTYPE_T VALUE,KEY,EMPTY
  GLOBAL STRUC KRLMSG_T CHAR MODUL[24],INT NR,CHAR MSG_TXT[80]
  GLOBAL STRUC KRLMSGPAR_T KRLMSGPARTYPE_T PAR_TYPE,CHAR PAR_TXT[26],INT PAR_INT,REAL PAR_REAL,BOOL PAR_BOOL
  GLOBAL STRUC KRLMSGOPT_T BOOL VL_STOP,CLEAR_P_RESET,CLEAR_P_SAW,LOG_TO_DB
  GLOBAL STRUC KRLMSGDLGSK_T KRLMSGPARTYPE_T SK_TYPE,CHAR SK_TXT[10]
  GLOBAL ENUM CMD_STAT CMD_OK,CMD_TIMEOUT,DATA_OK,DATA_BLK,DATA_END,CMD_ABORT,CMD_SYN,FMT_ERR
  GLOBAL STRUC STATE_T CMD_STAT RET1,INT HITS,INT LENGTH
  ; ESYS (a system error's origin): its members are not checked against a controller here.
  ; The smartPAD's last names and values for new inline forms (LAST_BASIS in each .dat), KSS 8.5.
  GLOBAL STRUC BASIS_SUGG_T CHAR POINT1[24],CHAR POINT2[24],CHAR CP_PARAMS[24],CHAR PTP_PARAMS[24],CHAR CONT[24],CHAR CP_VEL[24],CHAR PTP_VEL[24],CHAR SYNC_PARAMS[24],CHAR SPL_NAME[24],CHAR A_PARAMS[24],CHAR PC_SYNCSTRING[24],CHAR GL_SYNCSTRING[24]
  GLOBAL ENUM ESYS IPO,ADAP,BACK,CONF,DIAG,ERR,EXT,INIT,INT,NULL,SYS,SENS,TECH
  ; $operate.dat (KSS 8.3): the circle's orientation behaviour (LDAT.CB), VARSTATE's answer,
  ; the submit interpreter's modes, $VEL's type, dates, switches and technology frames.
  GLOBAL ENUM AUX_PT_VALUES INVALID,CONSIDER,IGNORE,INTERPOLATE
  GLOBAL ENUM TARGET_PT_VALUES INVALID,INTERPOLATE,EXTRAPOLATE
  GLOBAL STRUC AUX_PT_MODE AUX_PT_VALUES ORI,E1,E2,E3,E4,E5,E6
  GLOBAL STRUC TARGET_PT_MODE TARGET_PT_VALUES ORI,E1,E2,E3,E4,E5,E6
  GLOBAL STRUC CIRC_MODE AUX_PT_MODE AUX_PT,TARGET_PT_MODE TARGET_PT
  GLOBAL ENUM VAR_STATE DECLARED,INITIALIZED,UNKNOWN
  GLOBAL ENUM MODUS_T SYNC,ASYNC,ABS,COND,SEQ
  GLOBAL ENUM SW_ONOFF ON,OFF
  GLOBAL STRUC CP REAL CP,ORI1,ORI2
  GLOBAL STRUC CONT INT CVEL,CPTP,REAL CDIS,CORI
  GLOBAL STRUC DATE INT CSEC,SEC,MIN,HOUR,DAY,MONTH,YEAR
  GLOBAL ENUM TECHSYS WORLD,BASE,ROBROOT,TCP,TTS
  GLOBAL STRUC MODULEPARAM_T CHAR PARAMS[2000]
  GLOBAL STRUC JERK_STRUC REAL CP,ORI,E6AXIS AX
  ; KUKA.EthernetKRL: what each EKI_ function returns.
  GLOBAL STRUC EKI_STATUS INT BUFF,READ,MSG_NO,BOOL CONNECTED,INT COUNTER
ENDDAT
";

/// The inline-form structures as robocell runs them (KSS 8.3 `$config.dat`): a `$config.dat`
/// that declares them the same way is accepted as it is; one that differs is used, with a note.
const INLINE_FORM_TYPES: &str = "DEFDAT INLINE_FORM_TYPES PUBLIC
  STRUC PDAT REAL VEL,ACC,APO_DIST,APO_MODE_T APO_MODE,REAL GEAR_JERK,INT EXAX_IGN
  STRUC LDAT REAL VEL,ACC,APO_DIST,APO_FAC,AXIS_VEL,AXIS_ACC,ORI_TYPE ORI_TYP,CIRC_TYPE CIRC_TYP,REAL JERK_FAC,GEAR_JERK,INT EXAX_IGN,CIRC_MODE CB
  STRUC FDAT INT TOOL_NO,BASE_NO,IPO_MODE IPO_FRAME,CHAR POINT2[24],BOOL TQ_STATE
ENDDAT
";

/// The names the parser knows robocell's own declarations by (as their data list's file name):
/// the system types are parsed without themselves, the inline-form types with them.
pub(super) const SYSTEM_TYPES_FILE: &str = "system types";
pub(super) const INLINE_FORM_TYPES_FILE: &str = "inline form types";

/// The types robocell declares in `text`, parsed as the data list `file`.
fn parse_own(file: &str, text: &str) -> Vec<TypeDecl> {
    let (m, diags) = super::parser::parse_module("", "", Some((file, text)));
    debug_assert!(diags.is_empty(), "{diags:?}");
    m.types
}

/// The controller's types, parsed once.
pub fn system_types() -> &'static [TypeDecl] {
    static TYPES: OnceLock<Vec<TypeDecl>> = OnceLock::new();
    TYPES.get_or_init(|| parse_own(SYSTEM_TYPES_FILE, SYSTEM_TYPES))
}

/// The inline-form structures PDAT, LDAT and FDAT, as robocell declares them.
pub fn inline_form_types() -> &'static [TypeDecl] {
    static TYPES: OnceLock<Vec<TypeDecl>> = OnceLock::new();
    TYPES.get_or_init(|| parse_own(INLINE_FORM_TYPES_FILE, INLINE_FORM_TYPES))
}

/// robocell's own declaration of a type a data list declares again (`$config.dat` declares
/// PDAT, the message types, ... itself).
pub fn own_declaration(name: &str) -> Option<&'static TypeDecl> {
    system_types().iter().chain(inline_form_types()).find(|t| t.name == name)
}

/// Do two declarations of a type say the same (GLOBAL or not)?
pub fn same_declaration(a: &TypeDecl, b: &TypeDecl) -> bool {
    use super::ast::TypeKind;
    match (&a.kind, &b.kind) {
        (TypeKind::Enum(x), TypeKind::Enum(y)) => x == y,
        (TypeKind::Struc(x), TypeKind::Struc(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(m, n)| m.name == n.name && m.ty == n.ty && m.dims == n.dims)
        }
        _ => false,
    }
}

/// A declaration as KRL writes it: `STRUC PDAT REAL VEL, ...`.
pub fn describe(t: &TypeDecl) -> String {
    use super::ast::TypeKind;
    match &t.kind {
        TypeKind::Enum(v) => format!("ENUM {} {}", t.name, v.join(",")),
        TypeKind::Struc(m) => {
            let mut out = format!("STRUC {}", t.name);
            let mut last = "";
            for (i, x) in m.iter().enumerate() {
                out.push_str(if i == 0 { " " } else { "," });
                if x.ty != last {
                    out.push_str(&x.ty);
                    out.push(' ');
                    last = &x.ty;
                }
                out.push_str(&x.name);
                if !x.dims.is_empty() {
                    let d: Vec<String> = x.dims.iter().map(|d| d.to_string()).collect();
                    out.push_str(&format!("[{}]", d.join(",")));
                }
            }
            out
        }
    }
}

/// Their names, for the parser.
pub fn system_type_names() -> Vec<String> {
    system_types().iter().map(|t| t.name.clone()).collect()
}
