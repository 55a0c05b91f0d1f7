package container

// ImageIDs returns the users of /etc/passwd and the groups of /etc/group
// as the image's layer directories (topmost first) show them, name -> id,
// read as ResolveUser reads them (never following a link out of a layer).
func ImageIDs(layers []string) (users, groups map[string]int, err error) {
	passwd, err := readLayerFile(layers, "etc/passwd")
	if err != nil {
		return nil, nil, err
	}
	group, err := readLayerFile(layers, "etc/group")
	if err != nil {
		return nil, nil, err
	}
	users, groups = map[string]int{}, map[string]int{}
	for _, e := range parsePasswd(passwd) {
		users[e.name] = e.uid
	}
	for _, e := range parseGroup(group) {
		groups[e.name] = e.gid
	}
	return users, groups, nil
}
