from . import test_statement_engine
from . import test_statement_report
from . import test_statement_confirmation
from . import test_statement_portal
from . import test_statement_automation
from . import test_credit_rating
from . import test_dunning
from . import test_statement_access
