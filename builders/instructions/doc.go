// Package instructions holds hull's built-in Dockerfile instruction handlers:
// one sdk.Handler, the "builtin" plugin, serving RUN, CMD, LABEL, EXPOSE,
// ENV, ADD, COPY, ENTRYPOINT, VOLUME, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK,
// SHELL, ONBUILD and MAINTAINER with Docker's (BuildKit's) semantics. Each
// keyword has its own function; the handler only dispatches. The handlers
// are plain sdk.Handler code: the same code runs in process and served as a
// plugin, and passes the plugins/plugintest conformance suite.
//
// What the handlers do:
//
//   - Variables are expanded, for the instructions Docker expands (ENV,
//     LABEL, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, COPY/ADD sources,
//     destination and flags, RUN --mount and --network), with the stage's
//     Config.Env and the build args in scope, ENV winning over an ARG of the
//     same name. Only the default escape character `\` is supported: the
//     Request carries no escape directive (the parser has already joined
//     continuation lines with the right one).
//   - RUN builds the argv (SHELL, default /bin/sh -c, plus the raw command
//     for shell form; the JSON array as is for exec form), the environment
//     (Config.Env plus the build args not set by ENV; the args are not
//     persisted), user, working directory, network and mounts, and calls
//     Host.Run. A non-zero exit is BuildKit's error text. Heredocs: a lone
//     `RUN <<EOF` runs its body with the shell, or, when the body starts
//     with #!, with that interpreter reading the script from /dev/stdin
//     (BuildKit mounts a file instead; a script that itself reads stdin
//     behaves differently); any other heredoc use hands the reconstituted
//     text to the shell, as BuildKit does. --security=insecure is refused;
//     an ssh mount (id default, target /run/buildkit/ssh_agent.0) binds
//     the agent `hull build --ssh` gave, else nothing; with required=true
//     a missing agent (or, for a secret mount, a missing secret) fails
//     the step, as BuildKit.
//   - COPY and ADD resolve the destination against WORKDIR, write heredoc
//     sources with Host.WriteFile and pass everything else to Host.Copy.
//     Shell-form sources are split after expansion (ExpandWords), so a
//     variable whose value holds blanks gives several sources, unlike
//     Docker. ADD --keep-git-dir is refused.
//   - The other keywords only compute the new config; their responses have
//     EmptyLayer set. History strings follow `docker history` for BuildKit
//     builds ("RUN |1 A=b /bin/sh -c make # buildkit", `CMD ["a" "b"]`,
//     "EXPOSE [80/tcp]"), except that build args are listed sorted by name
//     (the Request holds them as a map, not in declaration order), and
//     ONBUILD, which gets the classic builder's "ONBUILD <trigger>" where
//     BuildKit records nothing.
//
// What is deliberately left to the build engine: FROM and ARG (they define
// stages and variable scope), the cache (CacheInputs only names the inputs:
// the config and build args for every keyword, the context paths, --from
// stage and URLs for COPY/ADD), creating the WORKDIR directory (WORKDIR only
// sets Config.WorkingDir), downloading ADD URLs and checking --checksum,
// what --link means for layering, and MAINTAINER's Author field (sdk.Config
// has none: the handler only logs that the keyword is deprecated).
//
// Known differences from Docker: ENTRYPOINT always clears Cmd (Docker keeps
// a CMD set earlier in the same stage; the Request does not say where Cmd
// came from, and a CMD after ENTRYPOINT, the usual order, works as in
// Docker). A COPY heredoc goes to dest/NAME when dest ends in "/" or there
// are several sources, and to dest itself otherwise (Docker also looks at
// whether dest is an existing directory).
package instructions
