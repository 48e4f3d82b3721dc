//! Banner campaigns.

use super::{require_role, Exec, TxResult};
use crate::block::Effect;
use crate::state::{keys, StateView};
use crate::types::{Account, AdCampaign, AdSpec, Role, TxRef};

/// An admin creates a campaign; its landing URL is fixed here.
pub(super) fn create_ad<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    spec: &AdSpec,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    require_role(signer, "creating an ad", &[Role::Admin])?;
    let mut counters = exec.counters()?;
    let ad = counters.next_ad;
    counters.next_ad += 1;
    exec.put_counters(&counters);
    exec.write(
        keys::ad(ad),
        &AdCampaign {
            id: ad,
            spec: spec.clone(),
            active: true,
            created: tx_ref,
        },
    );
    Ok(Effect::AdCreated { ad })
}

/// An admin switches a campaign on or off.
pub(super) fn set_ad_active<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    ad: u64,
    active: bool,
) -> TxResult<Effect> {
    require_role(signer, "changing an ad", &[Role::Admin])?;
    let mut campaign: AdCampaign = exec.record("ad", &keys::ad(ad), ad)?;
    campaign.active = active;
    exec.write(keys::ad(ad), &campaign);
    Ok(Effect::Done)
}
