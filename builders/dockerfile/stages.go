package dockerfile

import "strings"

// stages groups instructions into meta ARGs and build stages.
func (p *parser) stages(insts []Instruction) (*Dockerfile, error) {
	df := &Dockerfile{}
	names := map[string]int{}
	for _, inst := range insts {
		if inst.Keyword == "MAINTAINER" {
			p.warnf(inst.StartLine, "MAINTAINER is deprecated, use LABEL maintainer=... instead")
		}
		switch {
		case inst.Keyword == "FROM":
			st := newStage(inst, len(df.Stages))
			if st.Name != "" {
				if line, dup := names[st.Name]; dup {
					return nil, p.errorf(inst.StartLine, "duplicate stage name %q (first defined at line %d)", st.Name, line)
				}
				names[st.Name] = inst.StartLine
			}
			df.Stages = append(df.Stages, st)
		case len(df.Stages) > 0:
			last := &df.Stages[len(df.Stages)-1]
			last.Instructions = append(last.Instructions, inst)
		case inst.Keyword == "ARG":
			df.MetaArgs = append(df.MetaArgs, inst)
		case !IsKeyword(inst.Keyword):
			return nil, p.errorf(inst.StartLine, "%s: the Dockerfile must start with FROM or ARG", NotAnInstruction)
		default:
			return nil, p.errorf(inst.StartLine, "%s before the first FROM: no build stage in current context", inst.Keyword)
		}
	}
	if len(df.Stages) == 0 {
		return nil, p.errorf(0, "no FROM instruction: the Dockerfile has no build stage")
	}
	return df, nil
}

// newStage builds a stage from a FROM instruction already checked by
// checkFrom.
func newStage(from Instruction, index int) Stage {
	words := fromWords(&from)
	st := Stage{BaseName: words[0], Index: index, From: from}
	if len(words) == 3 {
		st.Name = strings.ToLower(words[2])
	}
	st.Platform, _ = from.Flag("platform")
	return st
}
