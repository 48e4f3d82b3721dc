//! Limited editions: registration, ownership and listings.

use super::{Exec, TxResult};
use crate::block::Effect;
use crate::crypto::PublicKey;
use crate::error::Rejection;
use crate::state::{keys, StateView};
use crate::types::{
    Account, Acquisition, Item, ItemLock, OwnershipRecord, Product, ProductSpec, Role, TxRef,
};

/// An approved seller registers an edition: one item per serial, owned by the seller.
pub(super) fn register_product<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    spec: &ProductSpec,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    if signer.role != Role::Member || !signer.is_approved_seller() {
        return Err(Rejection::SellerNotApproved.into());
    }
    for serial in &spec.serials {
        let key = keys::serial(&spec.brand, &spec.model, serial);
        if let Some(item) = exec.read::<u64>("serial index", &key)? {
            return Err(Rejection::DuplicateSerial {
                serial: serial.clone(),
                item,
            }
            .into());
        }
    }
    let mut counters = exec.counters()?;
    let product_id = counters.next_product;
    let first_item = counters.next_item;
    let edition_size = spec.serials.len() as u32;
    counters.next_product += 1;
    counters.next_item += u64::from(edition_size);
    exec.put_counters(&counters);

    let product = Product {
        id: product_id,
        seller: signer.key,
        brand: spec.brand.trim().to_owned(),
        model: spec.model.trim().to_owned(),
        name_ko: spec.name_ko.trim().to_owned(),
        name_en: spec.name_en.trim().to_owned(),
        category: spec.category.trim().to_owned(),
        release_date: spec.release_date,
        price: spec.price,
        description: spec.description.clone(),
        image_hashes: spec.image_hashes.clone(),
        edition_size,
        first_item,
        registered: tx_ref,
    };
    exec.write(keys::product(product_id), &product);
    for (index, serial) in spec.serials.iter().enumerate() {
        let item_id = first_item + index as u64;
        let item = Item {
            id: item_id,
            product: product_id,
            edition: index as u32 + 1,
            edition_size,
            serial: serial.trim().to_owned(),
            owner: signer.key,
            owner_since: tx_ref,
            history_len: 1,
            lock: ItemLock::Free,
            listing_price: spec.list_for_sale.then_some(spec.price),
        };
        exec.write(keys::item(item_id), &item);
        exec.write(
            keys::ownership(item_id, 0),
            &OwnershipRecord {
                item: item_id,
                sequence: 0,
                owner: signer.key,
                acquisition: Acquisition::Registered,
                tx: tx_ref,
            },
        );
        exec.write(keys::serial(&spec.brand, &spec.model, serial), &item_id);
    }
    Ok(Effect::ProductRegistered {
        product: product_id,
        first_item,
        item_count: edition_size,
    })
}

/// Moves an item to a new owner and appends to its history. The caller checked the rules.
pub(super) fn move_item<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    item: &mut Item,
    new_owner: PublicKey,
    acquisition: Acquisition,
    tx_ref: TxRef,
) {
    let sequence = item.history_len;
    exec.write(
        keys::ownership(item.id, sequence),
        &OwnershipRecord {
            item: item.id,
            sequence,
            owner: new_owner,
            acquisition,
            tx: tx_ref,
        },
    );
    item.owner = new_owner;
    item.owner_since = tx_ref;
    item.history_len += 1;
    item.listing_price = None;
    exec.write(keys::item(item.id), item);
}

/// Loads an item the signer owns and that is not escrowed.
fn owned_free_item<V: StateView + ?Sized>(
    exec: &Exec<'_, V>,
    signer: &Account,
    item_id: u64,
) -> TxResult<Item> {
    let item: Item = exec.record("item", &keys::item(item_id), item_id)?;
    if item.owner != signer.key {
        return Err(Rejection::NotOwner {
            item: item_id,
            owner: item.owner,
        }
        .into());
    }
    if item.lock != ItemLock::Free {
        return Err(Rejection::ItemLocked {
            item: item_id,
            lock: item.lock,
        }
        .into());
    }
    Ok(item)
}

/// The owner gives an item to another active account.
pub(super) fn transfer_item<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    item_id: u64,
    to: &PublicKey,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let mut item = owned_free_item(exec, signer, item_id)?;
    if *to == signer.key {
        return Err(Rejection::invalid("to", "the signer already owns the item").into());
    }
    exec.active_account(to)?;
    move_item(exec, &mut item, *to, Acquisition::Transferred, tx_ref);
    Ok(Effect::Done)
}

/// The owner lists an item at a price, or unlists it.
pub(super) fn list_item<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    item_id: u64,
    price: Option<u64>,
) -> TxResult<Effect> {
    let mut item = owned_free_item(exec, signer, item_id)?;
    item.listing_price = price;
    exec.write(keys::item(item_id), &item);
    Ok(Effect::Done)
}
