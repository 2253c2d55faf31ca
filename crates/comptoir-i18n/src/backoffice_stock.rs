//! The back office's Stock and Catalog & prices pages (head office, `web::stock` and
//! `web::catalog`): titles, table headings, forms, and what a refused form says.

crate::catalog! {
    /// Messages of the Stock and Catalog & prices pages.
    pub enum StockMsg {
        StockTitle => { fr: "Stock", en: "Stock" },
        CatalogTitle => { fr: "Catalogue et prix", en: "Catalog and prices" },
        AllStores => { fr: "Tous les magasins", en: "All stores" },
        Show => { fr: "Afficher", en: "Show" },
        LowStock => { fr: "Stock bas", en: "Low stock" },
        NoLowStock => { fr: "Aucun article sous son seuil.", en: "No item below its threshold." },
        Levels => { fr: "Niveaux", en: "Levels" },
        NoLevels => { fr: "Aucun niveau de stock pour l’instant.", en: "No stock level yet." },
        Movements => { fr: "Mouvements saisis au siège", en: "Movements entered at head office" },
        NoMovements => { fr: "Aucun mouvement saisi au siège.", en: "No movement entered at head office." },
        MovementsNote => {
            fr: "Les ventes, retours et mouvements des caisses sont compris dans les niveaux.",
            en: "Sales, returns and the tills' own movements are included in the levels."
        },
        Store => { fr: "Magasin", en: "Store" },
        Item => { fr: "Article", en: "Item" },
        Name => { fr: "Désignation", en: "Name" },
        Level => { fr: "Niveau", en: "Level" },
        Threshold => { fr: "Seuil", en: "Threshold" },
        Date => { fr: "Date", en: "Date" },
        Movement => { fr: "Mouvement", en: "Movement" },
        Quantity => { fr: "Quantité", en: "Quantity" },
        Source => { fr: "Source", en: "Source" },
        By => { fr: "Par", en: "By" },
        ReasonReceived => { fr: "Réception", en: "Goods received" },
        ReasonAdjustment => { fr: "Inventaire (ajustement)", en: "Inventory count (adjustment)" },
        ReasonTransferOut => { fr: "Transfert sortant", en: "Transfer out" },
        ReasonTransferIn => { fr: "Transfert entrant", en: "Transfer in" },
        SourceSupplier => { fr: "Fournisseur {supplier}", en: "Supplier {supplier}" },
        SourceReference => { fr: "réf. {reference}", en: "ref. {reference}" },
        SourceCounted => { fr: "compté {counted}", en: "counted {counted}" },
        SourceOtherStore => { fr: "magasin {store}", en: "store {store}" },
        Previous => { fr: "Précédents", en: "Previous" },
        Next => { fr: "Suivants", en: "Next" },
        ReceiveTitle => { fr: "Réception de marchandises", en: "Goods received" },
        CountTitle => { fr: "Inventaire", en: "Inventory count" },
        TransferTitle => { fr: "Transfert entre magasins", en: "Transfer between stores" },
        Supplier => { fr: "Fournisseur", en: "Supplier" },
        Reference => { fr: "Référence (bon de livraison…)", en: "Reference (delivery note…)" },
        FromStore => { fr: "Du magasin", en: "From store" },
        ToStore => { fr: "Vers le magasin", en: "To store" },
        QtyReceived => { fr: "Quantité reçue", en: "Quantity received" },
        QtyCounted => { fr: "Quantité comptée", en: "Quantity counted" },
        QtyMoved => { fr: "Quantité transférée", en: "Quantity moved" },
        SaveReceive => { fr: "Enregistrer la réception", en: "Record the delivery" },
        SaveCount => { fr: "Enregistrer l’inventaire", en: "Record the count" },
        SaveTransfer => { fr: "Enregistrer le transfert", en: "Record the transfer" },
        Recorded => {
            fr: "Opération enregistrée (version {version} du catalogue) : les caisses la recevront à leur prochaine synchronisation.",
            en: "Operation recorded (catalog version {version}): the tills receive it at their next sync."
        },
        AlreadyRecorded => {
            fr: "Cette opération était déjà enregistrée : rien n’a été ajouté.",
            en: "This operation was already recorded: nothing was added."
        },
        ErrNoLines => { fr: "Indiquez au moins un article et sa quantité.", en: "Give at least one item and its quantity." },
        ErrTooManyLines => { fr: "Trop de lignes (500 au plus).", en: "Too many lines (500 at most)." },
        ErrNoItem => { fr: "Ligne {line} : indiquez l’article.", en: "Line {line}: give the item." },
        ErrQtyNotNumber => {
            fr: "Ligne {line} : « {qty} » n’est pas une quantité (ex. 12 ou 1,5).",
            en: "Line {line}: \"{qty}\" is not a quantity (e.g. 12 or 1.5)."
        },
        ErrDuplicateItem => {
            fr: "Ligne {line} : l’article {item} figure deux fois.",
            en: "Line {line}: item {item} appears twice."
        },
        ErrBadQuantity => {
            fr: "Ligne {line} : la quantité {qty} doit être positive, au plus 10 000 000, avec 3 décimales au plus.",
            en: "Line {line}: quantity {qty} must be positive, at most 10,000,000, with at most 3 decimals."
        },
        ErrNoStore => { fr: "Choisissez le magasin.", en: "Choose the store." },
        ErrSameStore => {
            fr: "Un transfert se fait entre deux magasins différents.",
            en: "A transfer needs two different stores."
        },
        ErrUnknownStore => { fr: "Magasin inconnu : {store}.", en: "Unknown store: {store}." },
        ErrUnknownItem => {
            fr: "Article inconnu : {item}. Vérifiez le code dans le catalogue.",
            en: "Unknown item: {item}. Check the code in the catalog."
        },
        ErrBadOpId => {
            fr: "Formulaire invalide : rechargez la page et recommencez.",
            en: "Invalid form: reload the page and try again."
        },
        NothingSaved => { fr: "Rien n’a été enregistré.", en: "Nothing was saved." },
        Search => { fr: "Rechercher", en: "Search" },
        SearchHint => {
            fr: "Nom, code article ou code-barres",
            en: "Name, item code or barcode"
        },
        NoResults => { fr: "Aucun article trouvé.", en: "No item found." },
        Code => { fr: "Code", en: "Code" },
        Price => { fr: "Prix TTC", en: "Price incl. VAT" },
        Vat => { fr: "TVA", en: "VAT" },
        Barcodes => { fr: "Codes-barres", en: "Barcodes" },
        BarcodesHint => { fr: "séparés par des espaces", en: "separated by spaces" },
        Unit => { fr: "Unité", en: "Unit" },
        UnitPiece => { fr: "pièce", en: "piece" },
        UnitKg => { fr: "kg", en: "kg" },
        MinQty => { fr: "Quantité minimale par vente", en: "Minimum quantity per sale" },
        MaxQty => { fr: "Quantité maximale par vente", en: "Maximum quantity per sale" },
        State => { fr: "État", en: "State" },
        OnSale => { fr: "en vente", en: "on sale" },
        Withdrawn => { fr: "retiré", en: "withdrawn" },
        Version => { fr: "Version {version}", en: "Version {version}" },
        EditItem => { fr: "Modifier l’article", en: "Edit the item" },
        Save => { fr: "Enregistrer", en: "Save" },
        StorePrices => { fr: "Prix par magasin", en: "Prices per store" },
        StorePriceNote => {
            fr: "Sans prix propre, un magasin vend au prix commun.",
            en: "Without a price of its own, a store sells at the common price."
        },
        CommonPrice => { fr: "prix commun", en: "common price" },
        OwnPrice => { fr: "prix propre", en: "own price" },
        SetPrice => { fr: "Changer le prix", en: "Change the price" },
        WithdrawTitle => { fr: "Retirer de la vente", en: "Withdraw from sale" },
        WithdrawNote => {
            fr: "L’article disparaît des caisses de tous les magasins à leur prochaine synchronisation ; les ventes passées restent.",
            en: "The item leaves every store's tills at their next sync; past sales stay."
        },
        WithdrawButton => { fr: "Retirer l’article", en: "Withdraw the item" },
        BackOnSale => {
            fr: "Article retiré : l’enregistrer le remet en vente.",
            en: "Withdrawn item: saving it puts it back on sale."
        },
        Saved => {
            fr: "Enregistré : version {version} du catalogue, sur les caisses à leur prochaine synchronisation.",
            en: "Saved: catalog version {version}, on the tills at their next sync."
        },
        Unchanged => { fr: "Aucun changement.", en: "No change." },
        Conflict => {
            fr: "L’article a été modifié entre-temps (version {version}) : rechargez la page, rien n’a été enregistré.",
            en: "The item changed meanwhile (version {version}): reload the page; nothing was saved."
        },
        NotFound => { fr: "Article inconnu.", en: "Unknown item." },
        ErrName => { fr: "La désignation est vide ou dépasse 120 caractères.", en: "The name is empty or over 120 characters." },
        ErrPrice => {
            fr: "Prix « {price} » : un montant entre 0 et 1 000 000 €, 2 décimales au plus.",
            en: "Price \"{price}\": an amount between 0 and €1,000,000, at most 2 decimals."
        },
        ErrVat => {
            fr: "Taux de TVA {rate} : choisissez 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.",
            en: "VAT rate {rate}: choose 20%, 10%, 5.5%, 2.1% or 0%."
        },
        ErrBarcode => {
            fr: "Code-barres « {code} » : 1 à 32 chiffres ou lettres.",
            en: "Barcode \"{code}\": 1 to 32 digits or letters."
        },
        ErrBarcodeTaken => {
            fr: "Le code-barres {code} est déjà celui de l’article {item}.",
            en: "Barcode {code} already belongs to item {item}."
        },
        ErrQuantity => {
            fr: "Quantités minimale et maximale : positives, 10 000 000 au plus, la minimale pas au-dessus de la maximale.",
            en: "Minimum and maximum quantities: positive, at most 10,000,000, the minimum not above the maximum."
        },
        ErrUnit => { fr: "Unité : pièce ou kg.", en: "Unit: piece or kg." },
        ImportTitle => { fr: "Importer un fichier CSV", en: "Import a CSV file" },
        ImportHint => {
            fr: "Colonnes id, name, price, vat_rate, unit ; facultatives barcodes (séparés par |), stock_tracked, store_id, min_qty, max_qty, low_stock, deleted. Rien n’est appliqué avant confirmation.",
            en: "Columns id, name, price, vat_rate, unit; optional barcodes (separated by |), stock_tracked, store_id, min_qty, max_qty, low_stock, deleted. Nothing is applied until you confirm."
        },
        CsvFile => { fr: "Fichier CSV", en: "CSV file" },
        CsvText => { fr: "ou contenu CSV", en: "or CSV content" },
        Preview => { fr: "Voir ce qui changera", en: "Preview the changes" },
        PreviewTitle => { fr: "Aperçu de l’import", en: "Import preview" },
        PreviewNew => { fr: "Nouveaux : {count}", en: "New: {count}" },
        PreviewChanged => { fr: "Modifiés : {count}", en: "Changed: {count}" },
        PreviewWithdrawn => { fr: "Retirés : {count}", en: "Withdrawn: {count}" },
        PreviewUnchanged => { fr: "Inchangés : {count}", en: "Unchanged: {count}" },
        PreviewNothing => { fr: "Ce fichier ne change rien.", en: "This file changes nothing." },
        ChangedFields => { fr: "Champs modifiés", en: "Changed fields" },
        PreviewMore => { fr: "… et {count} autres", en: "… and {count} more" },
        Confirm => { fr: "Confirmer l’import", en: "Confirm the import" },
        Cancel => { fr: "Annuler", en: "Cancel" },
        Imported => {
            fr: "Import appliqué : version {version} du catalogue.",
            en: "Import applied: catalog version {version}."
        },
        ImportStale => {
            fr: "Le catalogue a changé depuis l’aperçu (version {version}) : refaites l’aperçu, rien n’a été appliqué.",
            en: "The catalog changed since the preview (version {version}): preview again; nothing was applied."
        },
        CsvError => {
            fr: "Fichier refusé, ligne {line} : {detail}",
            en: "File refused, line {line}: {detail}"
        },
        CsvErrorColumn => {
            fr: "Fichier refusé, ligne {line}, colonne {column} ({name}) : {detail}",
            en: "File refused, line {line}, column {column} ({name}): {detail}"
        },
        CsvErrorItem => {
            fr: "Fichier refusé, article {item} : {detail}",
            en: "File refused, item {item}: {detail}"
        },
        CsvEmpty => { fr: "Le fichier est vide.", en: "The file is empty." },
        FieldName => { fr: "désignation", en: "name" },
        FieldPrice => { fr: "prix", en: "price" },
        FieldVat => { fr: "TVA", en: "VAT" },
        FieldUnit => { fr: "unité", en: "unit" },
        FieldBarcodes => { fr: "codes-barres", en: "barcodes" },
        FieldStockTracked => { fr: "suivi du stock", en: "stock tracking" },
        FieldMinQty => { fr: "quantité min.", en: "min. quantity" },
        FieldMaxQty => { fr: "quantité max.", en: "max. quantity" },
        FieldDeleted => { fr: "remis en vente", en: "back on sale" },
        EveryStore => { fr: "tous", en: "all" },
        AuditReceived => { fr: "Réception de marchandises saisie", en: "Goods received entered" },
        AuditCount => { fr: "Inventaire saisi", en: "Inventory count entered" },
        AuditTransfer => { fr: "Transfert entre magasins saisi", en: "Transfer between stores entered" },
        AuditItemEdited => { fr: "Article modifié", en: "Item edited" },
        AuditStorePrice => { fr: "Prix d’un magasin modifié", en: "A store's price changed" },
        AuditWithdrawn => { fr: "Article retiré de la vente", en: "Item withdrawn from sale" },
        AuditImported => { fr: "Catalogue importé (CSV)", en: "Catalog imported (CSV)" },
        ChangeNew => { fr: "nouveau", en: "new" },
        ChangeChanged => { fr: "modifié", en: "changed" },
        Lines => { fr: "Lignes", en: "Lines" },
        Filter => { fr: "Filtrer", en: "Filter" },
        ItemCode => { fr: "Code article", en: "Item code" },
        Low => { fr: "bas", en: "low" },
        Page => { fr: "Page {page}", en: "Page {page}" },
        Open => { fr: "Ouvrir", en: "Open" },
        ReadOnly => {
            fr: "Lecture seule : votre rôle ne permet pas de modifier.",
            en: "Read only: your role may not change anything."
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_and_the_same_placeholders() {
        assert_eq!(crate::check_templates(StockMsg::ALL), Vec::<String>::new());
    }
}
