odoo.define('account_manager.download', function (require) {
"use strict";

/**
 * Client action ``account_manager_download``: download a file and close
 * the dialog that asked for it. (An ``ir.actions.act_url`` would start the
 * download but leave the dialog open with its buttons disabled.)
 *
 * params: ``url`` and ``data``, the file to download as a binary field's
 * download link asks for it (``/web/content`` with model, id, field…).
 */
var core = require('web.core');
var crash_manager = require('web.crash_manager');
var framework = require('web.framework');
var session = require('web.session');

function download(parent, action) {
    framework.blockUI();
    session.get_file({
        url: action.params.url,
        data: action.params.data || {},
        complete: framework.unblockUI,
        error: crash_manager.rpc_error.bind(crash_manager),
    });
    return {type: 'ir.actions.act_window_close'};
}

core.action_registry.add('account_manager_download', download);

return download;
});
