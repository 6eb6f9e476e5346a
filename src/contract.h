/* SPDX-License-Identifier: MIT */
/*
 * contract.h - the vm_uffd_ops contract a memory type signs at registration.
 */
#ifndef UFFDOPS_CONTRACT_H
#define UFFDOPS_CONTRACT_H

#include <stdbool.h>

#include "internal.h"

/**
 * contract_check() - check a memory-type descriptor and its ops table
 * against every rule of the contract.
 * @desc: the descriptor (NULL is itself a violation).
 * @name_taken: a type of that name is registered already.
 * @explain: NULL, or reset and filled with every violation, in check order.
 *
 * Return: the number of violations; 0 when the type may be registered.
 */
unsigned int contract_check(const struct uffdops_memtype_desc *desc,
			    bool name_taken, struct uffdops_explain *explain);

/** contract_rule_count() - how many distinct rules contract_check() applies. */
unsigned int contract_rule_count(void);

#endif /* UFFDOPS_CONTRACT_H */
