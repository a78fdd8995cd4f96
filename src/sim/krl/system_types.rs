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
  ; The smartPAD's last names and values for new inline forms (LAST_BASIS in each .dat).
  GLOBAL STRUC BASIS_SUGG_T CHAR POINT1[24],CHAR POINT2[24],CHAR CP_PARAMS[24],CHAR PTP_PARAMS[24],CHAR CONT[24],CHAR CP_VEL[24],CHAR PTP_VEL[24],CHAR SYNC_PARAMS[24],CHAR SPL_NAME[24],CHAR A_PARAMS[24]
  GLOBAL ENUM ESYS IPO,ADAP,BACK,CONF,DIAG,ERR,EXT,INIT,INT,NULL,SYS,SENS,TECH
ENDDAT
";

/// The controller's types, parsed once.
pub fn system_types() -> &'static [TypeDecl] {
    static TYPES: OnceLock<Vec<TypeDecl>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let (m, diags) = super::parser::parse_module("", "", Some(("system types", SYSTEM_TYPES)));
        debug_assert!(diags.is_empty(), "{diags:?}");
        m.types
    })
}

/// Their names, for the parser.
pub fn system_type_names() -> Vec<String> {
    system_types().iter().map(|t| t.name.clone()).collect()
}
