extension DataDirectory {
    /// Records stowage-fsck took out of service (docs/FORMAT.md, "Quarantine list").
    var quarantine: String { indexDirectory + "/quarantine" }
}
